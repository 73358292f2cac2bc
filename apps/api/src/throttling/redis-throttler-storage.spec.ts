import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { KeyBuilder } from '@app/cache';
import { RedisThrottlerStorage } from './redis-throttler-storage.js';

/** Against the real Redis of the test run, under its key prefix. */
describe('RedisThrottlerStorage', () => {
  const prefix = process.env.REDIS_KEY_PREFIX ?? 'tunit';
  let redis: Redis;
  let storage: RedisThrottlerStorage;

  beforeAll(() => {
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0', { maxRetriesPerRequest: 1 });
    storage = new RedisThrottlerStorage(redis, new KeyBuilder({ prefix }));
  });
  afterAll(() => redis.disconnect());

  it('counts hits in a window and blocks over the limit for blockDuration', async () => {
    const key = randomUUID();
    const hits = [];
    for (let i = 0; i < 3; i++) hits.push(await storage.increment(key, 60_000, 3, 30_000, 't'));
    expect(hits.map((h) => [h.totalHits, h.isBlocked])).toEqual([
      [1, false],
      [2, false],
      [3, false],
    ]);
    expect(hits[0].timeToExpire).toBe(60);

    const blocked = await storage.increment(key, 60_000, 3, 30_000, 't');
    expect(blocked).toMatchObject({ isBlocked: true, timeToBlockExpire: 30 });
    // While blocked, attempts are not counted.
    expect(await storage.increment(key, 60_000, 3, 30_000, 't')).toMatchObject({ isBlocked: true, totalHits: 4 });

    // Both keys under the run's prefix, in one cluster slot (hash tag).
    expect(await redis.exists(`${prefix}:{throttle:t%3A${key}}:hits`, `${prefix}:{throttle:t%3A${key}}:block`)).toBe(2);
  });

  it('starts a new window after ttl', async () => {
    const key = randomUUID();
    await storage.increment(key, 50, 1, 0, 't');
    await new Promise((r) => setTimeout(r, 80));
    expect(await storage.increment(key, 50, 1, 0, 't')).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('reset() forgets hits and block', async () => {
    const key = randomUUID();
    await storage.increment(key, 60_000, 1, 60_000, 't');
    expect((await storage.increment(key, 60_000, 1, 60_000, 't')).isBlocked).toBe(true);
    await storage.reset('t', key);
    expect(await storage.increment(key, 60_000, 1, 60_000, 't')).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('is atomic under concurrency: exactly `limit` hits pass', async () => {
    const key = randomUUID();
    const results = await Promise.all(Array.from({ length: 50 }, () => storage.increment(key, 60_000, 10, 60_000, 't')));
    expect(results.filter((r) => !r.isBlocked)).toHaveLength(10);
  });

  it('hot keys reserve hits locally, never admitting more than the limit across instances', async () => {
    const key = randomUUID();
    const [one, two] = [
      new RedisThrottlerStorage(redis, new KeyBuilder({ prefix }), 16),
      new RedisThrottlerStorage(redis, new KeyBuilder({ prefix }), 16),
    ];
    // limit 1000 -> reservations of up to 10 (1 %); 1,200 concurrent attempts over two instances.
    const attempts = Array.from({ length: 1200 }, (_, i) => (i % 2 ? one : two).increment(key, 60_000, 1000, 60_000, 't'));
    const results = await Promise.all(attempts);
    const admitted = results.filter((r) => !r.isBlocked).length;
    expect(admitted).toBeLessThanOrEqual(1000);
    expect(admitted).toBeGreaterThanOrEqual(1000 - 10); // slack: the other instance's unused reservation
    expect(results.find((r) => r.isBlocked)).toMatchObject({ timeToBlockExpire: 60 });
    expect(Number(await redis.get(`${prefix}:{throttle:t%3A${key}}:hits`))).toBeLessThanOrEqual(1001);
  });

  it('incrementLocal() spends a reserved hit at once, and only while one is left in its window', async () => {
    const key = randomUUID();
    const hot = new RedisThrottlerStorage(redis, new KeyBuilder({ prefix }), 16);
    expect(hot.incrementLocal(key, 1000, 't')).toBeUndefined(); // nothing reserved yet
    // Reservations double while the key stays busy (1, 2, 4, 8, then 10: 1 % of the limit).
    for (let i = 0; i < 20; i++) await hot.increment(key, 60_000, 1000, 60_000, 't');
    await new Promise((r) => setTimeout(r, 50)); // the reservation taken ahead (half of one spent) lands
    const reserved = Number(await redis.get(`${prefix}:{throttle:t%3A${key}}:hits`));
    let local = 0;
    let last;
    for (let r = hot.incrementLocal(key, 1000, 't'); r !== undefined; r = hot.incrementLocal(key, 1000, 't')) {
      local++;
      last = r;
    }
    expect(local).toBeGreaterThan(0);
    expect(20 + local).toBe(reserved); // every reserved hit handed out once, none beyond
    expect(last).toMatchObject({ totalHits: reserved, isBlocked: false });
    const short = randomUUID();
    await Promise.all(Array.from({ length: 4 }, () => hot.increment(short, 50, 1000, 50, 't')));
    await new Promise((r) => setTimeout(r, 80));
    expect(hot.incrementLocal(short, 1000, 't')).toBeUndefined(); // its window is over
  });

  it('a busy key takes its next reservation before it runs out: requests keep being answered locally', async () => {
    const key = randomUUID();
    const hot = new RedisThrottlerStorage(redis, new KeyBuilder({ prefix }), 16);
    const hits = async (): Promise<number> => Number(await redis.get(`${prefix}:{throttle:t%3A${key}}:hits`));
    for (let i = 0; i < 20; i++) await hot.increment(key, 60_000, 1000, 60_000, 't'); // ramps up to 10 per reservation
    await new Promise((r) => setTimeout(r, 50)); // a reservation taken ahead lands
    let local = 0;
    const totals: number[] = [];
    for (let i = 0; i < 60; i++) {
      const r = hot.incrementLocal(key, 1000, 't');
      // Without a reservation taken ahead, this would be undefined each time one runs out (every 10).
      expect(r).toBeDefined();
      totals.push(r!.totalHits);
      local++;
      if (i % 3 === 2) await new Promise((r) => setTimeout(r, 20)); // time for the next one to arrive
    }
    expect(local).toBe(60);
    expect(totals.every((t) => t > 0 && t <= 1000)).toBe(true);
    // Counted in Redis before being handed out: at most one reservation (10) ahead of what was spent.
    await new Promise((r) => setTimeout(r, 50));
    const counted = await hits();
    expect(counted).toBeGreaterThanOrEqual(20 + local);
    expect(counted).toBeLessThanOrEqual(20 + local + 2 * 10);
  });

  it('small limits go to Redis for every request', async () => {
    const key = randomUUID();
    const storage16 = new RedisThrottlerStorage(redis, new KeyBuilder({ prefix }), 16);
    const results = await Promise.all(Array.from({ length: 30 }, () => storage16.increment(key, 60_000, 10, 60_000, 't')));
    expect(results.filter((r) => !r.isBlocked)).toHaveLength(10);
  });

  it('fails open when Redis is unreachable', async () => {
    const dead = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    dead.on('error', () => undefined);
    const offline = new RedisThrottlerStorage(dead, new KeyBuilder({ prefix }));
    expect(await offline.increment('k', 1000, 1, 1000, 't')).toEqual({
      totalHits: 0,
      timeToExpire: 0,
      isBlocked: false,
      timeToBlockExpire: 0,
    });
    dead.disconnect();
  });
});
