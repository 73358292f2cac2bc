import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { KeyBuilder } from '@app/cache';
import { RedisAttemptCounters } from './attempt-counters.js';
import { ReservedAttemptCounters } from './attempt-reservations.js';

const prefix = process.env.REDIS_KEY_PREFIX ?? 'tunit';
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0', { maxRetriesPerRequest: 1 });
afterAll(() => redis.disconnect());

/** The real Redis counters, counting the calls that reach Redis for a take. */
class CountedRedisCounters extends RedisAttemptCounters {
  calls = 0;
  constructor() {
    super(redis, new KeyBuilder({ prefix }));
  }
  override takeSome(key: string, limit: number, windowMs: number, want: number): Promise<{ granted: number; windowLeftMs: number }> {
    this.calls++;
    return super.takeSome(key, limit, windowMs, want);
  }
}

describe('ReservedAttemptCounters (real Redis)', () => {
  it('counts every attempt in Redis one by one under a limit below 200', async () => {
    const inner = new CountedRedisCounters();
    const counters = new ReservedAttemptCounters(inner, 64);
    const key = randomUUID();
    for (let i = 1; i <= 5; i++) {
      expect((await counters.take(key, 150, 60_000)).allowed).toBe(true);
      expect(await counters.get(key)).toBe(i);
    }
    expect(inner.calls).toBe(5);
  });

  it('a busy key under a high limit takes its places from Redis in growing reservations', async () => {
    const inner = new CountedRedisCounters();
    const counters = new ReservedAttemptCounters(inner, 64);
    const key = randomUUID();
    for (let i = 0; i < 500; i++) expect((await counters.take(key, 100_000, 60_000)).allowed).toBe(true);
    // 1 + 2 + 4 + ... + 64, then 64 at a time: far fewer calls than attempts.
    expect(inner.calls).toBeLessThan(20);
    const counted = await counters.get(key);
    expect(counted).toBeGreaterThanOrEqual(500);
    expect(counted).toBeLessThan(500 + 64);
  });

  it('concurrent attempts on a cold key wait for one reservation instead of each asking Redis', async () => {
    const inner = new CountedRedisCounters();
    const counters = new ReservedAttemptCounters(inner, 64);
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: 200 }, () => counters.take(key, 100_000, 60_000)));
    expect(answers.every((a) => a.allowed)).toBe(true);
    expect(inner.calls).toBeLessThan(20);
  });

  it('never admits more than the limit across instances; unused reserved places only refuse early', async () => {
    const limit = 1_000; // reservations of up to 10 places
    const key = randomUUID();
    const instances = [
      new ReservedAttemptCounters(new CountedRedisCounters(), 64),
      new ReservedAttemptCounters(new CountedRedisCounters(), 64),
    ];
    const answers = await Promise.all(Array.from({ length: 1_500 }, (_, i) => instances[i % 2].take(key, limit, 60_000)));
    const admitted = answers.filter((a) => a.allowed).length;
    expect(admitted).toBeLessThanOrEqual(limit);
    expect(admitted).toBeGreaterThanOrEqual(limit - 2 * 9);
    expect(await redis.get(`${prefix}:{attempts:${key}}:n`)).toBe(String(limit));
    const refused = answers.find((a) => !a.allowed)!;
    expect(refused.retryAfterSeconds).toBeGreaterThan(55);
  });

  it('a released attempt goes back to the reservation, not to Redis, while its window lasts', async () => {
    const inner = new CountedRedisCounters();
    const counters = new ReservedAttemptCounters(inner, 64);
    const key = randomUUID();
    for (let i = 0; i < 20; i++) await counters.take(key, 100_000, 60_000);
    const counted = await counters.get(key);
    const calls = inner.calls;
    for (let i = 0; i < 5; i++) await counters.release(key);
    expect(await counters.get(key)).toBe(counted);
    // The five places are handed out again before anything else is asked of Redis.
    const left = counted - 20 + 5;
    for (let i = 0; i < left; i++) await counters.take(key, 100_000, 60_000);
    expect(inner.calls).toBe(calls);
    expect(await counters.get(key)).toBe(counted);
  });

  it('places end with their window; the next window starts from one place again', async () => {
    const inner = new CountedRedisCounters();
    const counters = new ReservedAttemptCounters(inner, 64);
    const key = randomUUID();
    for (let i = 0; i < 100; i++) await counters.take(key, 100_000, 300);
    await new Promise((r) => setTimeout(r, 400));
    expect(await counters.get(key)).toBe(0);
    expect((await counters.take(key, 100_000, 300)).allowed).toBe(true);
    expect(await counters.get(key)).toBe(1);
  });

  it('takeReserved() hands out reserved places at once, and says false (counting nothing) when only take() can tell', async () => {
    const inner = new CountedRedisCounters();
    const counters = new ReservedAttemptCounters(inner, 64);
    const key = randomUUID();
    expect(counters.takeReserved(key, 100_000)).toBe(false); // nothing reserved yet
    for (let i = 0; i < 4; i++) await counters.take(key, 100_000, 60_000); // reservations of 1 and 2, then 4
    const counted = await counters.get(key);
    const calls = inner.calls;
    let taken = 0;
    while (counters.takeReserved(key, 100_000)) taken++;
    expect(taken).toBe(counted - 4); // exactly the places reserved and not yet used
    expect(inner.calls).toBe(calls);
    expect(await counters.get(key)).toBe(counted);
    expect((await counters.take(key, 100_000, 60_000)).allowed).toBe(true); // take() reserves again
    expect(inner.calls).toBe(calls + 1);

    const low = randomUUID(); // below 200 every attempt is Redis's
    await counters.take(low, 150, 60_000);
    expect(counters.takeReserved(low, 150)).toBe(false);
    expect(await counters.get(low)).toBe(1);
  });

  it('reset() forgets both the reservation and the Redis window', async () => {
    const counters = new ReservedAttemptCounters(new CountedRedisCounters(), 64);
    const key = randomUUID();
    for (let i = 0; i < 50; i++) await counters.take(key, 100_000, 60_000);
    await counters.reset(key);
    expect(await counters.get(key)).toBe(0);
    expect((await counters.take(key, 100_000, 60_000)).allowed).toBe(true);
    expect(await counters.get(key)).toBe(1);
  });
});
