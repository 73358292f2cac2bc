import { randomUUID } from 'node:crypto';
import { MemoryAttemptCounters } from './attempt-counters.js';
import { AttemptLimiter, AttemptsExhausted, slowdownDelayMs, type AttemptPlan, type Slowdown } from './attempt-limiter.service.js';

describe('slowdownDelayMs', () => {
  it('is 0 below the threshold, then 250 ms doubling per failure, capped; 0 when disabled', () => {
    expect([0, 4].map((f) => slowdownDelayMs(f, 5, 5_000))).toEqual([0, 0]);
    expect([5, 6, 7, 8, 9, 10, 50, 10_000].map((f) => slowdownDelayMs(f, 5, 5_000))).toEqual([
      250, 500, 1_000, 2_000, 4_000, 5_000, 5_000, 5_000,
    ]);
    expect(slowdownDelayMs(100, 5, 0)).toBe(0);
  });
});

describe('AttemptLimiter', () => {
  const counters = new MemoryAttemptCounters();
  const limiter = new AttemptLimiter(counters);
  const rule = (key: string, limit: number, onSuccess: 'keep' | 'release' | 'reset') => ({ key, limit, windowMs: 60_000, onSuccess });

  it('an attempt holds a place in every counter while it runs; the outcome keeps or gives it back', async () => {
    const [ip, pair, registrations] = [randomUUID(), randomUUID(), randomUUID()];
    const plan: AttemptPlan = { counters: [rule(ip, 5, 'release'), rule(pair, 5, 'reset'), rule(registrations, 5, 'keep')] };
    const running = await limiter.begin(plan);
    expect([await counters.get(ip), await counters.get(pair), await counters.get(registrations)]).toEqual([1, 1, 1]);
    await running.settle('failure');
    expect([await counters.get(ip), await counters.get(pair), await counters.get(registrations)]).toEqual([1, 1, 1]);

    await (await limiter.begin(plan)).settle('failure');
    await (await limiter.begin(plan)).settle('success');
    // success: 'release' gives its own place back, 'reset' clears the failures, 'keep' keeps it.
    expect([await counters.get(ip), await counters.get(pair), await counters.get(registrations)]).toEqual([2, 0, 3]);

    await (await limiter.begin(plan)).settle('void');
    expect([await counters.get(ip), await counters.get(pair), await counters.get(registrations)]).toEqual([2, 0, 3]);
  });

  it('settles once', async () => {
    const key = randomUUID();
    const attempt = await limiter.begin({ counters: [rule(key, 5, 'keep')] });
    await attempt.settle('void');
    await attempt.settle('void');
    await (await limiter.begin({ counters: [rule(key, 5, 'keep')] })).settle('failure');
    expect(await counters.get(key)).toBe(1);
  });

  it('over a limit: AttemptsExhausted with Retry-After, and the places taken in earlier counters are given back', async () => {
    const [first, second] = [randomUUID(), randomUUID()];
    await (await limiter.begin({ counters: [rule(second, 1, 'keep')] })).settle('failure');
    const refused = limiter.begin({ counters: [rule(first, 5, 'release'), rule(second, 1, 'keep')] });
    await expect(refused).rejects.toBeInstanceOf(AttemptsExhausted);
    await expect(refused).rejects.toMatchObject({ retryAfterSeconds: expect.any(Number) });
    expect(await counters.get(first)).toBe(0);
  });

  it('a success marks its pair as trusted: that pair is no longer slowed down, other pairs still are', async () => {
    const email = randomUUID();
    const slowdown = (pair: string): Slowdown => ({
      key: email,
      windowMs: 60_000,
      after: 1,
      maxDelayMs: 5,
      trusted: { key: pair, trustMs: 60_000 },
    });
    const [owner, stranger] = [randomUUID(), randomUUID()];
    for (let i = 0; i < 3; i++) await (await limiter.begin({ counters: [], slowdown: slowdown(stranger) })).settle('failure');
    expect(await limiter.slowdownDelay(slowdown(owner))).toBe(5);
    await (await limiter.begin({ counters: [], slowdown: slowdown(owner) })).settle('success');
    expect(await counters.get(owner)).toBe(1);
    expect(await limiter.slowdownDelay(slowdown(owner))).toBe(0);
    expect(await limiter.slowdownDelay(slowdown(stranger))).toBe(5);
    expect(await limiter.slowdownDelay({ ...slowdown(stranger), maxDelayMs: 0 })).toBe(0);
  });

  it('failures add to the slowdown counter; slowed attempts are admitted, never refused', async () => {
    const [pair, email] = [randomUUID(), randomUUID()];
    const plan = (): AttemptPlan => ({
      counters: [rule(`${pair}:${randomUUID()}`, 1, 'reset')],
      slowdown: { key: email, windowMs: 60_000, after: 2, maxDelayMs: 5 },
    });
    for (let i = 0; i < 6; i++) await (await limiter.begin(plan())).settle('failure');
    expect(await counters.get(email)).toBe(6);
    await (await limiter.begin(plan())).settle('success');
    expect(await counters.get(email)).toBe(6);
  });

  it('beginReserved() admits at once only a one-counter plan without slowdown whose counters have a place reserved here', async () => {
    const key = randomUUID();
    const plan: AttemptPlan = { counters: [rule(key, 1_000, 'keep')] };
    // Counters without reservations (in-process here): always begin().
    expect(limiter.beginReserved(plan)).toBeUndefined();
    expect(await counters.get(key)).toBe(0);

    let places = 2;
    const reserved = Object.assign(new MemoryAttemptCounters(), {
      takeReserved: () => places-- > 0,
    });
    const fast = new AttemptLimiter(reserved);
    expect(fast.beginReserved(plan)).toBeDefined();
    expect(fast.beginReserved({ counters: [rule(key, 1_000, 'keep'), rule(randomUUID(), 1_000, 'keep')] })).toBeUndefined();
    expect(fast.beginReserved({ ...plan, slowdown: { key, windowMs: 60_000, after: 1, maxDelayMs: 5 } })).toBeUndefined();
    expect(places).toBe(1); // neither of the two asked the counters
    const attempt = fast.beginReserved(plan)!;
    expect(fast.beginReserved(plan)).toBeUndefined(); // no place left
    await expect(attempt.settle('success')).resolves.toBeUndefined();
  });
});
