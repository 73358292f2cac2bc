import { createCache, type CacheService } from '../create-cache.js';
import { sleep } from '../core/testing/kit.js';
import { startRedisServer, type RedisServerHandle } from '../testing/redis-harness.js';

/** Redis and the source are both down: a value L1 held beats an error. */
describe('fail-safe while Redis is down and the loader fails', () => {
  let server: RedisServerHandle;
  let svc: CacheService;

  beforeAll(async () => {
    server = await startRedisServer();
    svc = createCache({
      redis: { url: server.url, commandTimeoutMs: 200, connectTimeoutMs: 300 },
      prefix: 'failsafe',
      breaker: { failureThreshold: 3, cooldownMs: 200 },
      l1: { max: 100, ttlMs: 60_000, failSafeMs: 30_000 },
    });
    await svc.ready();
  });
  afterAll(async () => {
    await svc.close();
    await server.dispose();
  });

  it('answers with the value L1 held when Redis went away, not for keys invalidated since or never cached', async () => {
    const c = svc.namespace('fs');
    await c.getOrLoad('warm', async () => 'kept');
    await c.getOrLoad('dropped', async () => 'old');
    await server.stop();
    const until = Date.now() + 5_000;
    while (!svc.l1!.suspended && Date.now() < until) await sleep(20);
    expect(svc.l1!.suspended).toBe(true);
    const down = async (): Promise<string> => {
      throw new Error('source down');
    };
    expect(await c.getOrLoad('warm', down)).toBe('kept');
    // A loader that works still wins over the kept value.
    expect(await c.getOrLoad('warm', async () => 'fresh')).toBe('fresh');
    await c.delete('dropped'); // invalidated while Redis is down: applied locally at once
    await expect(c.getOrLoad('dropped', down)).rejects.toThrow('source down');
    await expect(c.getOrLoad('never', down)).rejects.toThrow('source down');
    await server.start();
  });
});
