import { CacheUnavailableError, CircuitBreaker, withTimeout, CacheTimeoutError } from './circuit-breaker.js';

describe('CircuitBreaker', () => {
  it('opens after consecutive failures, probes after the cooldown, closes on success', async () => {
    const states: string[] = [];
    const b = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 30, onStateChange: (s) => states.push(s) });
    const fail = () => Promise.reject(new Error('ECONNREFUSED'));
    for (let i = 0; i < 3; i++) await expect(b.run(fail)).rejects.toThrow('ECONNREFUSED');
    expect(b.state).toBe('open');
    await expect(b.run(() => Promise.resolve(1))).rejects.toBeInstanceOf(CacheUnavailableError);
    await new Promise((r) => setTimeout(r, 40));
    expect(b.allow()).toBe(true); // the probe
    expect(b.state).toBe('half-open');
    expect(b.allow()).toBe(false); // only one probe at a time
    b.success();
    expect(b.state).toBe('closed');
    expect(states).toEqual(['open', 'half-open', 'closed']);
  });

  it('re-opens when the half-open probe fails', async () => {
    const b = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 10 });
    b.failure(new Error('down'));
    await new Promise((r) => setTimeout(r, 15));
    expect(b.allow()).toBe(true);
    b.failure(new Error('still down'));
    expect(b.state).toBe('open');
  });

  it('does not count Redis reply errors (Redis is up)', () => {
    const b = new CircuitBreaker({ failureThreshold: 1 });
    const reply = Object.assign(new Error('WRONGTYPE'), { name: 'ReplyError' });
    b.failure(reply);
    expect(b.state).toBe('closed');
  });

  it('withTimeout rejects slow work', async () => {
    await expect(withTimeout(new Promise(() => {}), 10)).rejects.toBeInstanceOf(CacheTimeoutError);
    await expect(withTimeout(Promise.resolve(5), 10)).resolves.toBe(5);
  });
});
