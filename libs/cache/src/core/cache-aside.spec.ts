import { jest } from '@jest/globals';
import { CacheKit, deferred, sleep } from './testing/kit.js';
import { CacheLoadTimeoutError } from './errors.js';
import type { CacheService } from '../create-cache.js';
import type { RedisClient } from '../redis/connection.js';

describe('CacheAside (real Redis)', () => {
  const kit = new CacheKit('aside');
  let svc: CacheService;
  let raw: RedisClient;

  beforeAll(async () => {
    svc = await kit.cache({ defaultTtl: 30_000 });
    raw = await kit.client();
  });
  afterAll(() => kit.cleanup());

  it('loads on a miss, then serves from Redis without calling the loader', async () => {
    const cache = svc.namespace('basic');
    const loader = jest.fn(async () => ({ id: 1, name: 'x' }));
    expect(await cache.getOrLoad(['p', 1], loader)).toEqual({ id: 1, name: 'x' });
    expect(await cache.getOrLoad(['p', 1], loader)).toEqual({ id: 1, name: 'x' });
    expect(loader).toHaveBeenCalledTimes(1);
    expect(await raw.exists(cache.key(['p', 1]))).toBe(1);
  });

  it('tells the loader the namespace version of its miss: the same until the namespace is invalidated', async () => {
    const cache = svc.namespace('versions');
    const seen: (number | undefined)[] = [];
    const loader = async (ctx: { namespaceVersion?: number }) => {
      seen.push(ctx.namespaceVersion);
      return 1;
    };
    await cache.getOrLoad('a', loader);
    await cache.getOrLoad('b', loader);
    expect(await cache.invalidateAll()).toBe(true);
    await cache.getOrLoad('a', loader);
    expect(seen).toHaveLength(3);
    expect(typeof seen[0]).toBe('number');
    expect(seen[1]).toBe(seen[0]);
    expect(seen[2]).not.toBe(seen[0]);
  });

  it('caches null as a real value, distinct from a miss', async () => {
    const cache = svc.namespace('nulls');
    const loader = jest.fn(async () => null);
    expect(await cache.getOrLoad('n', loader)).toBeNull();
    expect(await cache.getOrLoad('n', loader)).toBeNull();
    expect(loader).toHaveBeenCalledTimes(1);
    expect(await cache.get('n')).toBeNull();
    expect(await cache.get('never-set')).toBeUndefined();
  });

  it.each([0, '', false, [], {}])('caches the falsy/empty value %p', async (v) => {
    const cache = svc.namespace('falsy');
    const key = `k-${JSON.stringify(v)}`;
    const loader = jest.fn(async () => v);
    expect(await cache.getOrLoad(key, loader)).toEqual(v);
    expect(await cache.getOrLoad(key, loader)).toEqual(v);
    expect(loader).toHaveBeenCalledTimes(1);
  });

  it('round-trips Dates through Redis', async () => {
    const cache = svc.namespace('dates');
    const d = new Date('2025-05-05T05:05:05.005Z');
    await cache.getOrLoad('d', async () => ({ d }));
    const out = await cache.getOrLoad<{ d: Date }>('d', async () => ({ d: new Date(0) }));
    expect(out.d).toBeInstanceOf(Date);
    expect(out.d.getTime()).toBe(d.getTime());
  });

  it('does not cache undefined unless negativeTtl is set; then caches the miss for negativeTtl', async () => {
    const cache = svc.namespace('negative');
    const plain = jest.fn(async () => undefined);
    await cache.getOrLoad('a', plain);
    await cache.getOrLoad('a', plain);
    expect(plain).toHaveBeenCalledTimes(2);

    const neg = jest.fn(async () => undefined);
    expect(await cache.getOrLoad('b', neg, { negativeTtl: 5_000 })).toBeUndefined();
    expect(await cache.getOrLoad('b', neg, { negativeTtl: 5_000 })).toBeUndefined();
    expect(neg).toHaveBeenCalledTimes(1);
    const pttl = await raw.pttl(cache.key('b'));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(5_000);

    const nul = jest.fn(async () => null);
    await cache.getOrLoad('c', nul, { negativeTtl: 5_000, nullIsMiss: true });
    expect(await cache.getOrLoad('c', nul, { negativeTtl: 5_000, nullIsMiss: true })).toBeUndefined();
    expect(nul).toHaveBeenCalledTimes(1);
  });

  it('sets the TTL, with jitter inside [ttl·(1−jitter), ttl] (+ staleFor)', async () => {
    const cache = svc.namespace('ttl');
    await cache.getOrLoad('plain', async () => 1, { ttl: 10_000 });
    const p = await raw.pttl(cache.key('plain'));
    expect(p).toBeGreaterThan(9_000);
    expect(p).toBeLessThanOrEqual(10_000);
    const ttls: number[] = [];
    for (let i = 0; i < 30; i++) {
      await cache.getOrLoad(['j', i], async () => i, { ttl: 10_000, jitter: 0.5 });
      ttls.push(await raw.pttl(cache.key(['j', i])));
    }
    for (const t of ttls) {
      expect(t).toBeGreaterThan(4_000);
      expect(t).toBeLessThanOrEqual(10_000);
    }
    expect(new Set(ttls.map((t) => Math.round(t / 100))).size).toBeGreaterThan(5);
    await cache.getOrLoad('stale', async () => 1, { ttl: 10_000, staleFor: 20_000 });
    const s = await raw.pttl(cache.key('stale'));
    expect(s).toBeGreaterThan(29_000);
    expect(s).toBeLessThanOrEqual(30_000);
  });

  it('keeps keys with glob / separator / brace input apart and literal', async () => {
    const cache = svc.namespace('inject');
    const evil = ['*', '?', '[a-z]', '{tag}', 'a:b', '\\'];
    for (const e of evil) await cache.getOrLoad(e, async () => `v:${e}`);
    for (const e of evil) expect(await cache.getOrLoad(e, async () => 'wrong')).toBe(`v:${e}`);
    await cache.getOrLoad('victim', async () => 'safe');
    // Invalidating the "*" key must not touch anything else.
    await cache.delete('*');
    expect(await cache.getOrLoad('victim', async () => 'reloaded')).toBe('safe');
    expect(await cache.getOrLoad('?', async () => 'wrong')).toBe('v:?');
    expect(await cache.getOrLoad('*', async () => 'reloaded')).toBe('reloaded');
    // Pattern invalidation with an injected "*" only matches the literal "*" key.
    expect(await svc.invalidator.invalidatePattern('inject', ['*'])).toBe(1);
    expect(await cache.get('victim')).toBe('safe');
    expect(await cache.get('?')).toBe('v:?');
    expect(await cache.get('[a-z]')).toBe('v:[a-z]');
  });

  it('handles huge keys by hashing them', async () => {
    const cache = svc.namespace('huge');
    const big = 'k'.repeat(100_000);
    const loader = jest.fn(async () => 'big');
    expect(await cache.getOrLoad(big, loader)).toBe('big');
    expect(await cache.getOrLoad(big, loader)).toBe('big');
    expect(loader).toHaveBeenCalledTimes(1);
    expect(cache.key(big).length).toBeLessThanOrEqual(512);
    expect(await cache.getOrLoad(big + 'x', async () => 'other')).toBe('other');
  });

  it('runs one loader for concurrent calls in one process (single-flight)', async () => {
    const cache = svc.namespace('flight');
    const gate = deferred();
    let calls = 0;
    const all = Array.from({ length: 200 }, () =>
      cache.getOrLoad('hot', async () => {
        calls++;
        await gate.promise;
        return 'v';
      }),
    );
    await sleep(50);
    gate.resolve();
    expect(await Promise.all(all)).toEqual(Array(200).fill('v'));
    expect(calls).toBe(1);
  });

  it('propagates loader errors and does not cache them', async () => {
    const cache = svc.namespace('errors');
    await expect(cache.getOrLoad('e', async () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect(await cache.getOrLoad('e', async () => 'ok')).toBe('ok');
  });

  it('serves stale within staleFor and refreshes once in the background', async () => {
    const cache = svc.namespace('swr');
    await cache.getOrLoad('s', async () => 'v1', { ttl: 100, staleFor: 10_000 });
    await sleep(150);
    const gate = deferred();
    const loader = jest.fn(async () => {
      await gate.promise;
      return 'v2';
    });
    const results = await Promise.all([1, 2, 3].map(() => cache.getOrLoad('s', loader, { ttl: 10_000, staleFor: 10_000 })));
    expect(results).toEqual(['v1', 'v1', 'v1']);
    gate.resolve();
    const until = Date.now() + 5_000;
    while ((await cache.get('s')) !== 'v2' && Date.now() < until) await sleep(20);
    expect(loader).toHaveBeenCalledTimes(1);
    expect(await cache.getOrLoad('s', async () => 'v3', { ttl: 10_000 })).toBe('v2');
    expect(svc.stats.snapshot().namespaces.swr.staleServes).toBeGreaterThanOrEqual(3);
  });

  it('soft timeout: waits for the loader up to softTimeoutMs, then serves stale', async () => {
    const cache = svc.namespace('soft');
    await cache.getOrLoad('s', async () => 'old', { ttl: 50, staleFor: 10_000 });
    await sleep(80);
    const fast = await cache.getOrLoad('s', async () => 'fresh', { ttl: 50, staleFor: 10_000, softTimeoutMs: 2_000 });
    expect(fast).toBe('fresh');
    await sleep(80);
    const gate = deferred<string>();
    const slow = await cache.getOrLoad('s', () => gate.promise, { ttl: 10_000, staleFor: 10_000, softTimeoutMs: 50 });
    expect(slow).toBe('fresh');
    gate.resolve('newest');
    const until = Date.now() + 5_000;
    while ((await cache.get('s')) !== 'newest' && Date.now() < until) await sleep(20);
    expect(await cache.get('s')).toBe('newest');
  });

  it('hard timeout rejects (and aborts the loader signal) when there is no stale value', async () => {
    const cache = svc.namespace('hard');
    let signal: AbortSignal | undefined;
    const p = cache.getOrLoad(
      'h',
      ({ signal: s }) => {
        signal = s;
        return new Promise<string>(() => {});
      },
      { hardTimeoutMs: 50 },
    );
    await expect(p).rejects.toBeInstanceOf(CacheLoadTimeoutError);
    expect(signal?.aborted).toBe(true);
    expect(await cache.get('h')).toBeUndefined();
  });

  it('serves the stale value when the refresh fails (fail-safe)', async () => {
    const cache = svc.namespace('failsafe');
    await cache.getOrLoad('f', async () => 'good', { ttl: 50, staleFor: 10_000 });
    await sleep(80);
    const v = await cache.getOrLoad('f', async () => Promise.reject(new Error('db')), { ttl: 50, staleFor: 10_000, softTimeoutMs: 1_000 });
    expect(v).toBe('good');
  });

  it('get / set / mget / delete basics', async () => {
    const cache = svc.namespace('basics');
    expect(await cache.set('a', { n: 1 })).toBe(true);
    expect(await cache.set('b', null)).toBe(true);
    expect(await cache.set('c', 0)).toBe(true);
    expect(await cache.get('a')).toEqual({ n: 1 });
    expect(await cache.mget(['a', 'b', 'c', 'missing'])).toEqual([{ n: 1 }, null, 0, undefined]);
    expect(await cache.delete('a')).toBe(true);
    expect(await cache.get('a')).toBeUndefined();
    const loader = jest.fn(async () => 'after-delete');
    expect(await cache.getOrLoad('a', loader)).toBe('after-delete');
  });

  it('a value that is not serializable is returned but not cached', async () => {
    const cache = svc.namespace('unserializable');
    const v = { big: 10n };
    expect(await cache.getOrLoad('x', async () => v)).toBe(v);
    expect(await raw.exists(cache.key('x'))).toBe(0);
  });

  it('counts hits, misses, loads and load time per namespace', async () => {
    const cache = svc.namespace('stats');
    await cache.getOrLoad('a', async () => {
      await sleep(20);
      return 1;
    });
    await cache.getOrLoad('a', async () => 2);
    await cache.getOrLoad('a', async () => 2);
    const s = svc.stats.snapshot().namespaces.stats;
    expect(s).toMatchObject({ hits: 2, misses: 1, loads: 1, errors: 0 });
    expect(s.hitRate).toBeCloseTo(2 / 3);
    expect(s.loadTimeMsTotal).toBeGreaterThanOrEqual(15);
    expect(svc.stats.snapshot().totals.loads).toBeGreaterThanOrEqual(1);
  });
});

describe('CacheAside with the msgpack serializer', () => {
  const kit = new CacheKit('msgpack');
  afterAll(() => kit.cleanup());

  it('stores binary entries and keeps null, Dates, falsy values and CAS semantics', async () => {
    const svc = await kit.cache({ serializer: 'msgpack' });
    const c = svc.namespace('mp');
    const d = new Date('2024-03-03T03:03:03.003Z');
    expect(await c.getOrLoad('a', async () => ({ d, n: null, z: 0 }))).toEqual({ d, n: null, z: 0 });
    const out = await c.getOrLoad<{ d: Date }>('a', async () => ({ d: new Date(0) }));
    expect(out.d).toBeInstanceOf(Date);
    expect(out.d.getTime()).toBe(d.getTime());
    expect(await c.getOrLoad('n', async () => null)).toBeNull();
    expect(await c.get('n')).toBeNull();
    await c.delete('a');
    expect(await c.get('a')).toBeUndefined();
    expect(await c.mget(['n', 'a'])).toEqual([null, undefined]);
  });

  it('caches values nested deeper than 100 levels, and reports a value it cannot cache', async () => {
    const errors: unknown[] = [];
    const svc = await kit.cache({ serializer: 'msgpack', onError: (e) => errors.push(e) });
    const c = svc.namespace('deep');
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 500; i++) deep = { d: deep };
    let calls = 0;
    await c.getOrLoad('k', async () => (calls++, deep));
    await c.getOrLoad('k', async () => (calls++, deep));
    expect(calls).toBe(1);
    expect(errors).toEqual([]);
    await c.getOrLoad('fn', async () => ({ big: 10n }));
    expect(errors).toHaveLength(1); // a BigInt: answered, not cached, and reported
  });

  it('rejects (does not throw synchronously) on an invalid key part', async () => {
    const svc = await kit.cache();
    const p = svc.cache.getOrLoad({} as unknown as string, async () => 1);
    await expect(p).rejects.toThrow(TypeError);
  });
});
