import { createCache as createCacheManager } from 'cache-manager';
import { Keyv } from 'keyv';
import { CacheKit, sleep } from '../core/testing/kit.js';
import { createCache, type CacheService } from '../create-cache.js';
import { startRedisServer, type RedisServerHandle } from '../testing/redis-harness.js';
import { CacheKeyvStore, cacheManagerStore, keyvStore } from './keyv-store.js';

const kit = new CacheKit('keyv-store');
afterAll(() => kit.cleanup());

describe('CacheKeyvStore (Keyv adapter on a cache namespace)', () => {
  it('round-trips values through the cache serializer under Keyv without its own serialization', async () => {
    const svc = await kit.cache();
    const keyv = cacheManagerStore(svc, { namespace: 'kv-raw' });
    const when = new Date('2026-01-02T03:04:05.678Z');
    expect(await keyv.set('order:1', { id: 1, at: when, tags: ['a', 'b'], none: null })).toBe(true);
    const got = await keyv.get<{ id: number; at: Date }>('order:1');
    expect(got).toEqual({ id: 1, at: when, tags: ['a', 'b'], none: null });
    expect(got!.at).toBeInstanceOf(Date); // the cache's serializer keeps Dates; Keyv's JSON would not
    expect(await keyv.set('s', 'plain string')).toBe(true);
    expect(await keyv.get('s')).toBe('plain string');
    expect(await keyv.set('zero', 0)).toBe(true);
    expect(await keyv.get('zero')).toBe(0);
    expect(await keyv.get('missing')).toBeUndefined();
    // The entry is an ordinary entry of the namespace: CacheAside reads the value itself.
    expect(await svc.namespace('kv-raw').get('order:1')).toEqual({ id: 1, at: when, tags: ['a', 'b'], none: null });
    await svc.namespace('kv-raw').set('from-cache', { n: 7 });
    expect(await keyv.get('from-cache')).toEqual({ n: 7 });
  });

  it('works under a Keyv that serializes (the store given bare, as @nestjs/cache-manager wraps it)', async () => {
    const svc = await kit.cache();
    const keyv = new Keyv({ store: keyvStore(svc, { namespace: 'kv-ser' }) }); // default JSON serialization, "keyv:" prefix
    expect(await keyv.set('a', { x: [1, 2] })).toBe(true);
    expect(await keyv.get('a')).toEqual({ x: [1, 2] });
    expect(await keyv.set('s', 'text')).toBe(true);
    expect(await keyv.get('s')).toBe('text');
    expect(await keyv.getMany(['a', 's', 'nope'])).toEqual([{ x: [1, 2] }, 'text', undefined]);
    expect(await keyv.has('a')).toBe(true);
    expect(await keyv.delete('a')).toBe(true);
    expect(await keyv.get('a')).toBeUndefined();
    expect(await keyv.has('a')).toBe(false);
  });

  it('ttl: entries expire after it; no ttl means defaultTtl (never, by default)', async () => {
    const svc = await kit.cache();
    const keyv = cacheManagerStore(svc, { namespace: 'kv-ttl' });
    // Lifetimes of a second: long enough that a busy machine reads them before they end.
    await keyv.set('short', 1, 1_000);
    await keyv.set('forever', 2);
    expect(await keyv.get('short')).toBe(1);
    const client = await kit.client();
    expect(await client.pttl(svc.namespace('kv-ttl').key('forever'))).toBe(-1);
    const pttl = await client.pttl(svc.namespace('kv-ttl').key('short'));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(1_000);
    await sleep(1_200);
    expect(await keyv.get('short')).toBeUndefined();
    expect(await keyv.get('forever')).toBe(2);

    const bounded = cacheManagerStore(svc, { namespace: 'kv-ttl2', defaultTtl: 1_000 });
    await bounded.set('k', 'v');
    expect(await bounded.get('k')).toBe('v');
    await sleep(1_200);
    expect(await bounded.get('k')).toBeUndefined();
    expect(() => keyvStore(svc, { defaultTtl: 0 })).toThrow(RangeError);
  });

  it('getMany, setMany (per-entry ttl), deleteMany, has, hasMany', async () => {
    const svc = await kit.cache();
    const store = keyvStore(svc, { namespace: 'kv-many' });
    expect(
      await store.setMany([
        { key: 'a', value: { value: 'A' } },
        { key: 'b', value: { value: 'B', expires: Date.now() + 1_000 }, ttl: 1_000 },
        { key: 'c', value: { value: 'C' }, ttl: 60_000 },
        { key: 'u', value: { value: undefined } },
      ]),
    ).toEqual([true, true, true, true]);
    expect(await store.getMany(['a', 'b', 'c', 'u', 'x'])).toEqual([{ value: 'A' }, { value: 'B' }, { value: 'C' }, undefined, undefined]);
    expect(await store.hasMany(['a', 'x'])).toEqual([true, false]);
    await sleep(1_200);
    expect(await store.getMany(['a', 'b', 'c'])).toEqual([{ value: 'A' }, undefined, { value: 'C' }]);
    expect(await store.deleteMany(['a', 'c'])).toBe(true);
    expect(await store.has('a')).toBe(false);
    expect(await store.getMany(['a', 'c'])).toEqual([undefined, undefined]);
    expect(await store.getMany([])).toEqual([]);
    expect(await store.deleteMany([])).toBe(true);
  });

  it('clear() invalidates the namespace with one version bump and leaves other namespaces alone', async () => {
    const svc = await kit.cache();
    const a = cacheManagerStore(svc, { namespace: 'kv-clear-a' });
    const b = cacheManagerStore(svc, { namespace: 'kv-clear-b' });
    await Promise.all([a.set('1', 1), a.set('2', 2), b.set('1', 'b1')]);
    const client = await kit.client();
    const entry = svc.namespace('kv-clear-a').key('1');
    expect(await client.exists(entry)).toBe(1);
    await a.clear();
    // Nothing was deleted or scanned: the entries stay until they expire, under an old namespace version.
    expect(await client.exists(entry)).toBe(1);
    expect(await a.get('1')).toBeUndefined();
    expect(await a.get('2')).toBeUndefined();
    expect(await b.get('1')).toBe('b1');
    await a.set('1', 'again');
    expect(await a.get('1')).toBe('again');
  });

  it('L1 serves reads, and a write or delete on one instance is seen by another at once', async () => {
    const l1 = { max: 1_000, ttlMs: 30_000 };
    const one = await kit.cache({ l1 });
    const two = await kit.cache({ l1 });
    const s1 = cacheManagerStore(one, { namespace: 'kv-l1' });
    const s2 = cacheManagerStore(two, { namespace: 'kv-l1' });
    await s1.set('k', { v: 1 });
    expect(await s2.get('k')).toEqual({ v: 1 }); // fills two's L1
    const l1HitsBefore = two.stats.snapshot().namespaces['kv-l1'].l1Hits;
    expect(await s2.get('k')).toEqual({ v: 1 });
    expect(two.stats.snapshot().namespaces['kv-l1'].l1Hits).toBe(l1HitsBefore + 1);
    await s1.set('k', { v: 2 });
    expect(await s2.get('k')).toEqual({ v: 2 });
    expect(await s2.getMany(['k'])).toEqual([{ v: 2 }]);
    await s1.delete('k');
    expect(await s2.get('k')).toBeUndefined();
    await s1.set('k', { v: 3 });
    expect(await s2.get('k')).toEqual({ v: 3 });
    await s1.clear();
    expect(await s2.get('k')).toBeUndefined();
  });

  it('serves cache-manager: get/set/del, mget/mset/mdel, wrap with one loader call, clear', async () => {
    const svc = await kit.cache();
    const cm = createCacheManager({ stores: [cacheManagerStore(svc, { namespace: 'kv-cm' })], ttl: 60_000 });
    expect(await cm.set('p:1', { name: 'one' })).toEqual({ name: 'one' });
    expect(await cm.get('p:1')).toEqual({ name: 'one' });
    const pttl = await (await kit.client()).pttl(svc.namespace('kv-cm').key('p:1'));
    expect(pttl).toBeGreaterThan(59_000); // the manager's default ttl reached the entry
    await cm.mset([
      { key: 'p:2', value: 2 },
      { key: 'p:3', value: 3 },
    ]);
    expect(await cm.mget(['p:1', 'p:2', 'p:3', 'p:4'])).toEqual([{ name: 'one' }, 2, 3, undefined]);
    expect(await cm.del('p:1')).toBe(true);
    expect(await cm.get('p:1')).toBeUndefined();
    await cm.mdel(['p:2', 'p:3']);
    expect(await cm.mget(['p:2', 'p:3'])).toEqual([undefined, undefined]);
    let calls = 0;
    const loader = async () => {
      calls++;
      await sleep(20);
      return { loaded: true };
    };
    const [w1, w2] = await Promise.all([cm.wrap('w', loader), cm.wrap('w', loader)]);
    expect(await cm.wrap('w', loader)).toEqual({ loaded: true });
    expect([w1, w2, calls]).toEqual([{ loaded: true }, { loaded: true }, 1]);
    expect(await cm.clear()).toBe(true);
    expect(await cm.get('w')).toBeUndefined();
  });

  it('closes a cache it created on disconnect, and leaves a cache passed in open', async () => {
    const shared = await kit.cache();
    const borrowed = cacheManagerStore(shared, { namespace: 'kv-own' });
    await borrowed.disconnect();
    expect(await shared.namespace('kv-own').set('still', 'open')).toBe(true);

    const owned = cacheManagerStore(
      { redis: { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' }, prefix: kit.prefix },
      { namespace: 'kv-own' },
    );
    const store = owned.store as CacheKeyvStore;
    await store.service.ready();
    expect(await owned.get('still')).toBe('open');
    await owned.disconnect();
    expect(store.service.client.status).toBe('end');
  });
});

describe('CacheKeyvStore while Redis is down', () => {
  let server: RedisServerHandle;
  let svc: CacheService;

  beforeAll(async () => {
    server = await startRedisServer();
    svc = createCache({
      redis: { url: server.url, commandTimeoutMs: 200, connectTimeoutMs: 300 },
      prefix: 'keyv-outage',
      breaker: { failureThreshold: 2, cooldownMs: 200 },
    });
    await svc.ready();
  });

  afterAll(async () => {
    await svc.close();
    await server.dispose();
  });

  it('cache-manager answers misses and refuses writes quietly, then caches again when Redis is back', async () => {
    const cm = createCacheManager({ stores: [cacheManagerStore(svc, { namespace: 'outage' })] });
    await cm.set('k', 'before');
    expect(await cm.get('k')).toBe('before');

    await server.stop();
    const started = Date.now();
    expect(await cm.get('k')).toBeUndefined(); // a miss, not an error
    expect(await cm.mget(['k', 'j'])).toEqual([undefined, undefined]);
    expect(await cm.set('k', 'during')).toBe('during'); // cache-manager resolves; the store reported false
    expect(await cacheManagerStore(svc, { namespace: 'outage' }).set('k', 'during')).toBe(false);
    let loads = 0;
    expect(await cm.wrap('w', async () => ++loads)).toBe(1);
    expect(await cm.wrap('w', async () => ++loads)).toBe(2); // nothing cached: the loader answers each time
    expect(Date.now() - started).toBeLessThan(5_000);

    await server.start();
    await svc.ready(10_000);
    let stored = false;
    for (let i = 0; i < 50 && !stored; i++) {
      await cm.set('k', 'after');
      stored = (await cm.get('k')) === 'after';
      if (!stored) await sleep(100);
    }
    expect(stored).toBe(true);
  });
});
