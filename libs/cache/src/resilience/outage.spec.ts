import { Redis } from 'ioredis';
import { createCache, type CacheService } from '../create-cache.js';
import { sleep } from '../core/testing/kit.js';
import { startRedisServer, type RedisServerHandle } from '../testing/redis-harness.js';

/** A private Redis is stopped in the middle of a run of getOrLoad calls and started again. */
describe('outage: Redis goes away and comes back', () => {
  let server: RedisServerHandle;
  let svc: CacheService;
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);
  const CALL_BUDGET_MS = 2_000; // generous bound over commandTimeout (200 ms) + loader time

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    server = await startRedisServer();
    svc = createCache({
      redis: { url: server.url, commandTimeoutMs: 200, connectTimeoutMs: 300 },
      prefix: 'outage',
      breaker: { failureThreshold: 3, cooldownMs: 200 },
      l1: { max: 100, ttlMs: 60_000 },
    });
    await svc.ready();
  });

  afterAll(async () => {
    await svc.close();
    await server.dispose();
    process.off('unhandledRejection', onUnhandled);
  });

  async function timedCall(key: string, loaderCalls: { n: number }): Promise<string> {
    const started = Date.now();
    const v = await svc.cache.getOrLoad(key, async () => {
      loaderCalls.n++;
      return `value-${key}`;
    });
    expect(Date.now() - started).toBeLessThan(CALL_BUDGET_MS);
    return v;
  }

  it('every call returns the loader value during the outage, nothing throws, caching resumes by itself', async () => {
    const calls = { n: 0 };
    expect(await timedCall('k', calls)).toBe('value-k');
    expect(await timedCall('k', calls)).toBe('value-k');
    expect(calls.n).toBe(1);
    expect(svc.l1!.size()).toBe(1);

    await server.stop();

    // While Redis is down: every call still succeeds with the loader's value, within the budget.
    const duringOutage = { n: 0 };
    for (let i = 0; i < 30; i++) {
      expect(await timedCall(`down-${i % 3}`, duringOutage)).toBe(`value-down-${i % 3}`);
      // writes and invalidations do not throw either
      await expect(svc.cache.set('w', 1)).resolves.toBe(false);
      await expect(svc.cache.delete('w')).resolves.toBe(false);
      await sleep(20);
    }
    expect(duringOutage.n).toBe(30); // nothing could be cached
    expect(svc.l1!.size()).toBe(0); // L1 dropped: invalidations may be missed while disconnected
    expect(svc.breaker.state).not.toBe('closed');
    expect(svc.invalidator.pendingCount).toBeGreaterThan(0);

    await server.start();

    // Caching resumes without any action from us.
    const after = { n: 0 };
    const deadline = Date.now() + 15_000;
    let cachedAgain = false;
    while (Date.now() < deadline && !cachedAgain) {
      const before = after.n;
      await timedCall('back', after);
      await timedCall('back', after);
      cachedAgain = after.n === before + 1 && svc.client.status === 'ready';
      if (!cachedAgain) await sleep(100);
    }
    expect(cachedAgain).toBe(true);
    // The test's own reads and deletes go through a client without the cache's 200 ms deadline.
    const raw = new Redis(server.url);
    expect(await raw.exists(svc.cache.key('back'))).toBe(1);
    expect(svc.breaker.state).toBe('closed');
    // The invalidations that failed during the outage were replayed.
    await sleep(200);
    expect(svc.invalidator.pendingCount).toBe(0);
    // L1 works again once the bus re-subscribed (it stays bypassed until then).
    const resubscribed = Date.now() + 10_000;
    while (svc.l1!.suspended && Date.now() < resubscribed) await sleep(20);
    expect(svc.l1!.suspended).toBe(false);
    const l1Calls = { n: 0 };
    await timedCall('l1-again', l1Calls);
    raw.disconnect();
    // Deleted through the cache's own connection, which CLIENT TRACKING does not report back to it
    // (an outside delete would evict L1, which is not what this checks); retried past its deadline.
    for (let attempt = 1; ; attempt++) {
      try {
        await svc.client.del(svc.cache.key('l1-again'));
        break;
      } catch (error) {
        if (attempt === 5) throw error;
      }
    }
    await timedCall('l1-again', l1Calls);
    expect(l1Calls.n).toBe(1);
    expect(unhandled).toEqual([]);
  }, 60_000);

  it('a Redis that never answers (no server at all) still lets calls through, fast', async () => {
    const dead = createCache({ redis: { url: 'redis://127.0.0.1:1', commandTimeoutMs: 100, connectTimeoutMs: 100 }, prefix: 'dead' });
    try {
      const started = Date.now();
      for (let i = 0; i < 20; i++) expect(await dead.cache.getOrLoad('x', async () => i)).toBe(i);
      expect(Date.now() - started).toBeLessThan(CALL_BUDGET_MS);
      expect(dead.stats.snapshot().totals.errors).toBeGreaterThan(0);
      expect(dead.breaker.state).not.toBe('closed');
    } finally {
      await dead.close();
    }
    expect(unhandled).toEqual([]);
  });
});
