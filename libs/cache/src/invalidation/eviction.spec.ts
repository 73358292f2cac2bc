import { createCache, type CacheService } from '../create-cache.js';
import { createRedisConnection, waitForReady, type RedisClient } from '../redis/connection.js';
import { startRedisServer, type RedisServerHandle } from '../testing/redis-harness.js';

/**
 * Under an allkeys-* policy Redis may evict any key, the namespace version included. A namespace
 * invalidation must survive that: entries it killed never match again.
 */
describe('namespace invalidation when Redis evicts the version key', () => {
  let server: RedisServerHandle;
  let svc: CacheService;
  let raw: RedisClient;

  beforeAll(async () => {
    server = await startRedisServer({ args: ['--maxmemory', '8mb', '--maxmemory-policy', 'allkeys-random'] });
    svc = createCache({ redis: { url: server.url, commandTimeoutMs: 2_000 }, prefix: 'ev', defaultTtl: 600_000 });
    await svc.ready();
    raw = createRedisConnection({ url: server.url, commandTimeoutMs: 5_000 });
    await waitForReady(raw);
  });
  afterAll(async () => {
    await svc.close();
    raw.disconnect();
    await server.dispose();
  });

  it('a deleted version key does not bring back the entries invalidateAll() killed', async () => {
    const c = svc.namespace('deleted');
    await c.getOrLoad('k', async () => 'old');
    await c.invalidateAll();
    await raw.del(svc.keys.namespaceVersionKey('deleted')); // what an eviction does
    expect(await c.getOrLoad('k', async () => 'new')).toBe('new');
    expect(await c.getOrLoad('k', async () => 'newer')).toBe('new'); // and the new one is cached
  });

  it('entries killed by invalidateAll() stay dead after a real eviction of the version key', async () => {
    const c = svc.namespace('evicted');
    const n = 300;
    for (let i = 0; i < n; i++) await c.getOrLoad(i, async () => 'old');
    await c.invalidateAll();
    const versionKey = svc.keys.namespaceVersionKey('evicted');
    const junk = 'x'.repeat(2_000);
    let batches = 0;
    while ((await raw.exists(versionKey)) === 1) {
      const p = raw.pipeline();
      for (let i = 0; i < 500; i++) p.set(`junk:${batches}:${i}`, junk);
      await p.exec();
      if (++batches > 200) throw new Error('the version key was never evicted');
    }
    const survivors: number[] = [];
    for (let i = 0; i < n; i++) if ((await raw.exists(c.key(i))) === 1) survivors.push(i);
    expect(survivors.length).toBeGreaterThan(0); // some killed entries are still in Redis
    for (const i of survivors) expect(await c.getOrLoad(i, async () => 'new')).toBe('new');
  });
});
