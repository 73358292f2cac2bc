import { createCache, type CacheService } from '../create-cache.js';
import { createRedisConnection, waitForReady, type RedisClient } from '../redis/connection.js';
import { startRedisServer, type RedisServerHandle } from '../testing/redis-harness.js';
import type { CacheKey } from './cache-key.js';
import { CacheKit, sleep } from './testing/kit.js';

describe('getMany / setMany / deleteMany (real Redis)', () => {
  const kit = new CacheKit('many');
  let a: CacheService;
  let b: CacheService;

  beforeAll(async () => {
    a = await kit.cache({ l1: { max: 1_000, ttlMs: 30_000 }, defaultTtl: 60_000 });
    b = await kit.cache({ l1: { max: 1_000, ttlMs: 30_000 }, defaultTtl: 60_000 });
  });
  afterAll(() => kit.cleanup());

  it('answers in order, calling the loader once with only the keys that missed', async () => {
    const c = a.namespace('order');
    await c.set('r1', 'redis-1'); // in Redis
    await c.getOrLoad('l1', async () => 'l1-value'); // in Redis and in L1
    const calls: CacheKey[][] = [];
    const loader = async (keys: CacheKey[]) => {
      calls.push(keys);
      return keys.map((k) => (k === 'gone' ? undefined : `loaded-${String(k)}`));
    };
    const res = await c.getMany(['r1', 'm1', 'l1', 'm2', 'm1', 'gone'], loader);
    expect(res).toEqual(['redis-1', 'loaded-m1', 'l1-value', 'loaded-m2', 'loaded-m1', undefined]);
    expect(calls).toEqual([['m1', 'm2', 'gone']]);
    // Now cached (the unknown key was not: no negativeTtl).
    const again = await c.getMany(['m1', 'm2', 'r1', 'gone'], loader);
    expect(again).toEqual(['loaded-m1', 'loaded-m2', 'redis-1', undefined]);
    expect(calls).toEqual([['m1', 'm2', 'gone'], ['gone']]);
    // Other instances read them from Redis.
    expect(await b.namespace('order').getOrLoad('m2', async () => 'other')).toBe('loaded-m2');
  });

  it('takes a Map answer, caches not-found with negativeTtl and honours nullIsMiss', async () => {
    const c = a.namespace('mapanswer');
    let calls = 0;
    const loader = async (keys: CacheKey[]) => {
      calls++;
      return new Map<CacheKey, string | null>(keys.filter((k) => k !== 'none').map((k) => [k, k === 'nil' ? null : `v-${String(k)}`]));
    };
    const opts = { negativeTtl: 60_000, nullIsMiss: true };
    expect(await c.getMany(['x', 'none', 'nil'], loader, opts)).toEqual(['v-x', undefined, undefined]);
    expect(await c.getMany(['x', 'none', 'nil'], loader, opts)).toEqual(['v-x', undefined, undefined]);
    expect(calls).toBe(1);
  });

  it('one loader run per key when getMany and getOrLoad race in one process and across instances', async () => {
    const runs = new Map<string, number>();
    const loader = async (keys: CacheKey[]) => {
      await sleep(100);
      for (const k of keys) runs.set(String(k), (runs.get(String(k)) ?? 0) + 1);
      return keys.map((k) => `v${String(k)}`);
    };
    const keys = Array.from({ length: 50 }, (_, i) => i);
    const results = await Promise.all([
      a.namespace('race').getMany(keys, loader),
      a.namespace('race').getMany(keys.slice(10, 30), loader),
      a.namespace('race').getOrLoad(5, async () => (await loader([5]))[0]),
      b.namespace('race').getMany(keys, loader),
      b.namespace('race').getMany([...keys].reverse(), loader),
    ]);
    expect(results[0]).toEqual(keys.map((k) => `v${k}`));
    expect(results[2]).toBe('v5');
    expect(results[4]).toEqual([...keys].reverse().map((k) => `v${k}`));
    expect([...runs].filter(([, n]) => n !== 1)).toEqual([]);
    expect(runs.size).toBe(50);
  });

  it('takes over at once the keys whose holder failed, instead of waiting out the lock wait', async () => {
    const failing = b.namespace('takeover').getMany(['k1', 'k2'], async () => {
      await sleep(150);
      throw new Error('source down');
    });
    failing.catch(() => undefined);
    await sleep(30); // b holds the locks of k1 and k2
    const start = Date.now();
    expect(await a.namespace('takeover').getMany(['k1', 'k2'], async (keys) => keys.map((k) => `a-${String(k)}`))).toEqual([
      'a-k1',
      'a-k2',
    ]);
    expect(Date.now() - start).toBeLessThan(1_500); // the lock wait is 5 s
    await expect(failing).rejects.toThrow('source down');
  });

  it('a batch whose own load fails while a load it joined fails too leaves no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown): void => void unhandled.push(err);
    process.on('unhandledRejection', onUnhandled);
    try {
      const c = a.namespace('bothfail');
      const single = c.getOrLoad('joined', async () => {
        await sleep(50);
        throw new Error('single failed');
      });
      single.catch(() => undefined);
      await sleep(10); // the single load is in flight: the batch joins it for 'joined'
      const batch = c.getMany(['joined', 'own'], async () => {
        throw new Error('batch failed');
      });
      await expect(batch).rejects.toThrow(/failed/);
      await expect(single).rejects.toThrow('single failed');
      await sleep(100);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('serves stale entries at once and refreshes them in the background with one call', async () => {
    const c = a.namespace('stalemany');
    const opts = { ttl: 50, staleFor: 60_000, l1: false };
    await c.getMany(['s1', 's2'], async (keys) => keys.map(() => 'old'), opts);
    await sleep(80);
    const calls: CacheKey[][] = [];
    const res = await c.getMany(['s1', 's2'], async (keys) => (calls.push(keys), keys.map(() => 'new')), opts);
    expect(res).toEqual(['old', 'old']);
    const until = Date.now() + 3_000;
    while ((await c.get('s1', { l1: false })) !== 'new' && Date.now() < until) await sleep(20);
    expect(calls).toEqual([['s1', 's2']]);
  });

  it('setMany writes every entry and drops them from other L1s; deleteMany removes them', async () => {
    const ca = a.namespace('setmany');
    const cb = b.namespace('setmany');
    await cb.getMany(['p', 'q'], async (keys) => keys.map(() => 'old'));
    expect(cb.peek('p')).toEqual({ value: 'old' });
    expect(
      await ca.setMany([
        ['p', 'P'],
        ['q', 'Q'],
      ]),
    ).toBe(true);
    expect(cb.peek('p')).toBeUndefined();
    expect(await cb.getMany(['p', 'q'], async () => ['x', 'x'])).toEqual(['P', 'Q']);
    expect(await ca.deleteMany(['p', 'q'])).toBe(true);
    expect(await cb.getMany(['p', 'q'], async () => ['p2', 'q2'])).toEqual(['p2', 'q2']);
  });
});

describe('getMany round trips', () => {
  let server: RedisServerHandle;
  let svc: CacheService;
  let raw: RedisClient;

  beforeAll(async () => {
    server = await startRedisServer();
    svc = createCache({ redis: { url: server.url, commandTimeoutMs: 2_000 }, prefix: 'rt', defaultTtl: 60_000 });
    await svc.ready();
    raw = createRedisConnection({ url: server.url, commandTimeoutMs: 5_000 });
    await waitForReady(raw);
  });
  afterAll(async () => {
    await svc.close();
    raw.disconnect();
    await server.dispose();
  });

  async function commandCalls(): Promise<Record<string, number>> {
    const info = await raw.info('commandstats');
    const out: Record<string, number> = {};
    for (const m of info.matchAll(/cmdstat_(\w+):calls=(\d+)/g)) out[m[1]] = Number(m[2]);
    return out;
  }

  it('reads 100 warm keys with one MGET and nothing else', async () => {
    const c = svc.namespace('warm');
    const keys = Array.from({ length: 100 }, (_, i) => `k${i}`);
    await c.getMany(keys, async (ks) => ks.map((k) => `v-${String(k)}`));
    await sleep(200); // the load locks are released in the background
    const before = await commandCalls();
    const res = await c.getMany(keys, async () => {
      throw new Error('not called');
    });
    const after = await commandCalls();
    expect(res).toEqual(keys.map((k) => `v-${k}`));
    const delta = Object.fromEntries(
      Object.entries(after)
        .map(([k, v]) => [k, v - (before[k] ?? 0)])
        .filter(([k, d]) => (d as number) > 0 && k !== 'info'),
    );
    expect(delta).toEqual({ mget: 1 });
  });
});

describe('getMany without L1 (fresh values straight from the reply)', () => {
  const kit = new CacheKit('many-l2');
  let svc: CacheService;
  let raw: RedisClient;

  beforeAll(async () => {
    svc = await kit.cache({ defaultTtl: 60_000 });
    raw = await kit.client();
  });
  afterAll(() => kit.cleanup());

  it('judges every kind of entry in one batch as a single read would', async () => {
    const c = svc.namespace('kinds');
    await c.set('fresh', { n: 1 });
    await c.set('nil', null);
    await c.set('dated', { at: new Date(0) });
    await c.set('tagged', 'T', { tags: ['t1'] });
    await c.set('tagged-gone', 'G', { tags: ['t2'] });
    await c.invalidateTag('t2');
    await c.getMany(['neg'], async () => [undefined], { negativeTtl: 60_000 });
    await c.getMany(['stale'], async () => ['old'], { ttl: 30, staleFor: 60_000 });
    await raw.set(c.key('foreign'), 'not an entry');
    await sleep(80); // 'stale' is past its ttl, within staleFor
    const calls: string[][] = [];
    const loader = async (keys: CacheKey[]) => {
      calls.push(keys.map(String));
      return keys.map((k) => `loaded-${String(k)}`);
    };
    const keys = ['fresh', 'nil', 'dated', 'tagged', 'tagged-gone', 'stale', 'neg', 'foreign', 'missing', 'fresh'];
    const res = await c.getMany(keys, loader, { staleFor: 60_000 });
    expect(res).toEqual([
      { n: 1 },
      null,
      { at: new Date(0) },
      'T',
      'loaded-tagged-gone',
      'old',
      undefined,
      'loaded-foreign',
      'loaded-missing',
      { n: 1 },
    ]);
    // The misses in one loader call; the stale entry refreshed in the background by another.
    const until = Date.now() + 5_000;
    while (calls.length < 2 && Date.now() < until) await sleep(20);
    expect(calls.map((k) => k.join(',')).sort()).toEqual(['stale', 'tagged-gone,foreign,missing']);
    // Each answer is what a single read gives.
    for (const [i, k] of keys.entries()) {
      if (k !== 'stale') expect([k, await c.get(k)]).toEqual([k, res[i]]);
    }
    expect(await c.get('stale')).toBe('loaded-stale');
  });

  it('a key named twice is answered at both places and loaded once', async () => {
    const c = svc.namespace('twice');
    await c.set('hit', 'H');
    const calls: string[][] = [];
    const loader = async (keys: CacheKey[]) => {
      calls.push(keys.map(String));
      return keys.map((k) => `loaded-${String(k)}`);
    };
    const before = svc.stats.snapshot().totals;
    const res = await c.getMany(['miss', 'hit', 'miss', 'hit', 'other'], loader);
    expect(res).toEqual(['loaded-miss', 'H', 'loaded-miss', 'H', 'loaded-other']);
    expect(calls).toEqual([['miss', 'other']]);
    const after = svc.stats.snapshot().totals;
    // Each place a hit answers counts, as a getOrLoad per place would; the misses, once per key loaded.
    expect([after.hits - before.hits, after.misses - before.misses]).toEqual([2, 2]);
    expect(await c.getMany(['miss', 'miss'], loader)).toEqual(['loaded-miss', 'loaded-miss']);
    expect(calls).toHaveLength(1);
  });

  it('a namespace invalidation turns every entry into a miss', async () => {
    const c = svc.namespace('version');
    await c.setMany([
      ['a', 1],
      ['b', 2],
    ]);
    expect(await c.getMany(['a', 'b'], async () => [0, 0])).toEqual([1, 2]);
    await c.invalidateAll();
    expect(await c.getMany(['a', 'b'], async (ks) => ks.map((k) => `new-${String(k)}`))).toEqual(['new-a', 'new-b']);
  });
});
