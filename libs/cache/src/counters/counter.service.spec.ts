import { Redis } from 'ioredis';
import { KeyBuilder } from '../keys/key-builder.js';
import { waitForReady } from '../redis/connection.js';
import { RedisUnavailableError } from '../redis-ops/unavailable-error.js';
import { startRedisServer } from '../testing/redis-harness.js';
import { deleteKeysWithPrefix, uniquePrefix } from '../testing/test-keys.js';
import { CounterService } from './counter.service.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('CounterService', () => {
  const prefix = uniquePrefix('counters');
  const client = new Redis(REDIS_URL);
  // The deadline is not what these cases test; a loaded CI machine can stall a worker past 1 s.
  const counters = new CounterService(client, new KeyBuilder({ prefix }), 'counters', 10_000);

  // Connected before the first timed command: connecting is not part of any deadline under test.
  beforeAll(() => client.ping());

  afterAll(async () => {
    await deleteKeysWithPrefix(client, prefix);
    await client.quit();
  });

  it('incr / decr / get / set / reset', async () => {
    expect(await counters.get('c')).toBe(0);
    expect(await counters.incr('c')).toBe(1);
    expect(await counters.incr('c', 5)).toBe(6);
    expect(await counters.decr('c', 2)).toBe(4);
    expect(await counters.get('c')).toBe(4);
    await counters.set('c', 42);
    expect(await counters.get('c')).toBe(42);
    await counters.reset('c');
    expect(await counters.get('c')).toBe(0);
    expect(await client.exists(counters.keyFor('c'))).toBe(0);
  });

  it('incr with ttl sets the expiry once, atomically with the increment', async () => {
    await counters.incr('window', 1, { ttl: 60_000 });
    const first = await client.pttl(counters.keyFor('window'));
    expect(first).toBeGreaterThan(50_000);
    await new Promise((r) => setTimeout(r, 20));
    await counters.incr('window', 1, { ttl: 60_000 });
    // Not refreshed: a fixed window.
    expect(await client.pttl(counters.keyFor('window'))).toBeLessThanOrEqual(first);
    await counters.set('short', 3, { ttl: 50 });
    await new Promise((r) => setTimeout(r, 120));
    expect(await counters.get('short')).toBe(0);
  });

  it('1,000 concurrent bounded decrements from 100: exactly 100 succeed, never below 0', async () => {
    await counters.set('stock', 100);
    const results = await Promise.all(Array.from({ length: 1_000 }, () => counters.decrementBounded('stock', 1)));
    expect(results.filter((r) => r.ok)).toHaveLength(100);
    expect(results.every((r) => r.value >= 0)).toBe(true);
    expect(await counters.get('stock')).toBe(0);
  });

  it('bounded decrement respects a custom floor and amounts larger than 1', async () => {
    await counters.set('b', 10);
    expect(await counters.decrementBounded('b', 4, { floor: 5 })).toEqual({ ok: true, value: 6 });
    expect(await counters.decrementBounded('b', 2, { floor: 5 })).toEqual({ ok: false, value: 6 });
    expect(await counters.decrementBounded('missing', 1)).toEqual({ ok: false, value: 0 });
  });

  it('throws RedisUnavailableError when Redis is down', async () => {
    const server = await startRedisServer();
    const own = new Redis(server.port, server.host, { retryStrategy: () => 50 });
    try {
      const c = new CounterService(own, new KeyBuilder({ prefix: 'x' }));
      await waitForReady(own);
      expect(await c.incr('n')).toBe(1);
      await server.stop();
      while (own.status === 'ready') await new Promise((r) => setTimeout(r, 10));
      await expect(c.incr('n')).rejects.toBeInstanceOf(RedisUnavailableError);
      await expect(c.decrementBounded('n', 1)).rejects.toBeInstanceOf(RedisUnavailableError);
      // ioredis 6: disconnect() while 'reconnecting' keeps jest from exiting; reconnect first.
      await server.start();
      await waitForReady(own);
    } finally {
      own.disconnect();
      await server.dispose();
    }
  });
});
