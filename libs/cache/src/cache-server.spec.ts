import { Redis } from 'ioredis';
import { createCache, type CacheService } from './create-cache.js';
import { startRedisServer, type RedisServerHandle } from './testing/redis-harness.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `cacheRedis`: cached values on a server of their own (which may evict), while locks and counters
 * stay on `redis`. Two private servers, so the key sets can be told apart.
 */
describe('createCache with a cache server of its own (cacheRedis)', () => {
  let durable: RedisServerHandle;
  let volatile: RedisServerHandle;
  let a: CacheService;
  let b: CacheService;
  let durableClient: Redis;
  let volatileClient: Redis;

  beforeAll(async () => {
    [durable, volatile] = await Promise.all([startRedisServer(), startRedisServer({ args: ['--maxmemory-policy', 'allkeys-lru'] })]);
    const options = { redis: { url: durable.url }, cacheRedis: { url: volatile.url }, prefix: 'cs', l1: { max: 100, ttlMs: 10_000 } };
    a = createCache(options);
    b = createCache(options);
    await Promise.all([a.ready(), b.ready()]);
    durableClient = new Redis(durable.url);
    volatileClient = new Redis(volatile.url);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    durableClient?.disconnect();
    volatileClient?.disconnect();
    await Promise.all([durable?.dispose(), volatile?.dispose()]);
  });

  it('entries, tags and namespace versions live on the cache server; locks and counters on the main one', async () => {
    expect(a.cacheClient).not.toBe(a.client);
    expect(await a.cache.getOrLoad('product-1', async () => ({ n: 1 }), { tags: ['t1'] })).toEqual({ n: 1 });
    await a.invalidator.invalidateNamespace('other');
    await a.locks.withLock('job', async () => {
      expect(await durableClient.exists(a.locks.keyFor('job'))).toBe(1);
    });
    await a.counters.incr('visits');

    const onCache = await volatileClient.keys('cs:*');
    const onMain = await durableClient.keys('cs:*');
    expect(onCache.some((k) => k.includes('product-1'))).toBe(true);
    expect(onCache.some((k) => k.includes('t1'))).toBe(true);
    expect(onMain.some((k) => k.includes('product-1') || k.includes('t1'))).toBe(false);
    expect(onMain.some((k) => k.includes('visits'))).toBe(true);
    expect(onCache.some((k) => k.includes('visits') || k.includes('job'))).toBe(false);
  });

  it('L1 invalidation crosses instances through the cache server', async () => {
    let version = 1;
    const load = async () => ({ version });
    expect(await a.cache.getOrLoad('shared', load)).toEqual({ version: 1 });
    expect(await b.cache.getOrLoad('shared', load)).toEqual({ version: 1 });
    version = 2;
    await a.cache.delete('shared');
    expect(await b.cache.getOrLoad('shared', load)).toEqual({ version: 2 });
  });

  it('the cache server down: reads fail open to the loader while locks and counters keep working', async () => {
    await volatile.stop();
    try {
      let loads = 0;
      expect(await a.cache.getOrLoad('down', async () => ++loads)).toBe(1);
      expect(await a.counters.incr('visits')).toBe(2);
      expect(await a.locks.withLock('job', async () => 'ran')).toBe('ran');
    } finally {
      await volatile.start();
    }
    for (let i = 0; i < 50 && a.cacheClient.status !== 'ready'; i++) await sleep(100);
    expect(a.cacheClient.status).toBe('ready');
  });

  it('close() ends both connections it opened', async () => {
    const c = createCache({ redis: { url: durable.url }, cacheRedis: { url: volatile.url }, prefix: 'cs' });
    await c.ready();
    await c.close();
    expect(c.client.status).toBe('end');
    expect(c.cacheClient.status).toBe('end');
  });
});
