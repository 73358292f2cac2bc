import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { KeyBuilder } from '@app/cache';
import { FallbackAttemptCounters, MemoryAttemptCounters, RedisAttemptCounters, type AttemptCounters } from './attempt-counters.js';

const prefix = process.env.REDIS_KEY_PREFIX ?? 'tunit';
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0', { maxRetriesPerRequest: 1 });
afterAll(() => redis.disconnect());

const kinds: [string, () => AttemptCounters][] = [
  ['Redis (real, under the run’s prefix)', () => new RedisAttemptCounters(redis, new KeyBuilder({ prefix }))],
  ['in-process', () => new MemoryAttemptCounters()],
];

describe.each(kinds)('AttemptCounters: %s', (_name, make) => {
  const counters = make();

  it('take() admits up to the limit, then refuses with the rest of the window as Retry-After', async () => {
    const key = randomUUID();
    const taken = [];
    for (let i = 0; i < 4; i++) taken.push(await counters.take(key, 3, 60_000));
    expect(taken.map((t) => t.allowed)).toEqual([true, true, true, false]);
    expect(taken[3].retryAfterSeconds).toBeGreaterThan(55);
    expect(taken[3].retryAfterSeconds).toBeLessThanOrEqual(60);
    // A refusal is not counted: one place given back is one attempt admitted.
    await counters.release(key);
    expect((await counters.take(key, 3, 60_000)).allowed).toBe(true);
    expect((await counters.take(key, 3, 60_000)).allowed).toBe(false);
  });

  it('release() never goes below zero; reset() forgets the window', async () => {
    const key = randomUUID();
    await counters.release(key);
    await counters.release(key);
    expect(await counters.get(key)).toBe(0);
    await counters.take(key, 2, 60_000);
    await counters.take(key, 2, 60_000);
    expect((await counters.take(key, 2, 60_000)).allowed).toBe(false);
    await counters.reset(key);
    expect((await counters.take(key, 2, 60_000)).allowed).toBe(true);
  });

  it('add() counts without a limit; get() reads; a new window starts after it ends', async () => {
    const key = randomUUID();
    // A window long enough that a busy machine cannot end it between two commands.
    expect(await counters.add(key, 1_000)).toBe(1);
    expect(await counters.add(key, 1_000)).toBe(2);
    expect(await counters.get(key)).toBe(2);
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await counters.get(key)).toBe(0);
    expect(await counters.add(key, 1_000)).toBe(1);
  });

  it('is atomic under concurrency: of 40 parallel takes, exactly `limit` are admitted', async () => {
    const key = randomUUID();
    const results = await Promise.all(Array.from({ length: 40 }, () => counters.take(key, 7, 60_000)));
    expect(results.filter((r) => r.allowed)).toHaveLength(7);
  });
});

describe('FallbackAttemptCounters', () => {
  it('never fails open: with Redis unreachable it counts in the process', async () => {
    const dead = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    dead.on('error', () => undefined);
    const counters = new FallbackAttemptCounters(new RedisAttemptCounters(dead, new KeyBuilder({ prefix })));
    const key = randomUUID();
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await counters.take(key, 3, 60_000));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false]);
    expect(results[3].retryAfterSeconds).toBeGreaterThan(0);
    expect(await counters.add('failures', 60_000)).toBe(1);
    dead.disconnect();
  });

  it('uses Redis while it answers (counts shared with another instance)', async () => {
    const keys = new KeyBuilder({ prefix });
    const one = new FallbackAttemptCounters(new RedisAttemptCounters(redis, keys));
    const two = new FallbackAttemptCounters(new RedisAttemptCounters(redis, keys));
    const key = randomUUID();
    expect((await one.take(key, 2, 60_000)).allowed).toBe(true);
    expect((await two.take(key, 2, 60_000)).allowed).toBe(true);
    expect((await one.take(key, 2, 60_000)).allowed).toBe(false);
  });
});
