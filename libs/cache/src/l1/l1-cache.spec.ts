import { CacheKit, sleep } from '../core/testing/kit.js';
import type { CacheService } from '../create-cache.js';
import type { RedisClient } from '../redis/connection.js';
import { globToRegExp, L1Store } from './l1-cache.js';

async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 3_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}

describe('L1 + invalidation bus (two instances, real Redis)', () => {
  const kit = new CacheKit('l1');
  let a: CacheService;
  let b: CacheService;
  let raw: RedisClient;

  beforeAll(async () => {
    // The bus alone (server-assisted invalidation has its own spec): writes behind the cache's back stay unseen here.
    a = await kit.cache({ l1: { max: 1_000, ttlMs: 30_000, serverAssisted: false }, defaultTtl: 30_000 });
    b = await kit.cache({ l1: { max: 1_000, ttlMs: 30_000, serverAssisted: false }, defaultTtl: 30_000 });
    raw = await kit.client();
  });
  afterAll(() => kit.cleanup());

  /** Loads `key` on both instances so both L1s hold `value`. */
  async function warm(ns: string, key: string, value: string): Promise<void> {
    await a.namespace(ns).getOrLoad(key, async () => value);
    await b.namespace(ns).getOrLoad(key, async () => 'unexpected');
    expect(await b.namespace(ns).getOrLoad(key, async () => 'unexpected')).toBe(value);
  }

  it('serves L1 hits without Redis', async () => {
    const c = a.namespace('l1hit');
    await c.getOrLoad('k', async () => 'v');
    await raw.del(c.key('k')); // behind the cache's back
    const before = a.stats.snapshot().namespaces.l1hit.l1Hits;
    expect(await c.getOrLoad('k', async () => 'reloaded')).toBe('v');
    expect(a.stats.snapshot().namespaces.l1hit.l1Hits).toBe(before + 1);
    expect(await c.getOrLoad('k', async () => 'from-loader', { l1: false })).toBe('from-loader');
  });

  it('key invalidation on one instance drops the entry from the other instance L1', async () => {
    await warm('l1key', 'k', 'v1');
    await a.namespace('l1key').delete('k');
    // strict: no waiting once the invalidation returned
    expect(await b.namespace('l1key').getOrLoad('k', async () => 'v2')).toBe('v2');
  });

  it('set() on one instance replaces the value on the other', async () => {
    await warm('l1set', 'k', 'v1');
    await a.namespace('l1set').set('k', 'v2');
    // strict: no waiting once the invalidation returned
    expect(await b.namespace('l1set').getOrLoad('k', async () => 'loader')).toBe('v2');
  });

  it('namespace invalidation reaches the other instance L1', async () => {
    await warm('l1ns', 'k', 'v1');
    await a.invalidator.invalidateNamespace('l1ns');
    // strict: no waiting once the invalidation returned
    expect(await b.namespace('l1ns').getOrLoad('k', async () => 'v2')).toBe('v2');
  });

  it('tag invalidation reaches the other instance L1', async () => {
    await a.namespace('l1tag').getOrLoad('k', async () => 'v1', { tags: ['t'] });
    await b.namespace('l1tag').getOrLoad('k', async () => 'unexpected', { tags: ['t'] });
    await a.invalidator.invalidateTag('l1tag', 't');
    // strict: no waiting once the invalidation returned
    expect(await b.namespace('l1tag').getOrLoad('k', async () => 'v2')).toBe('v2');
  });

  it('pattern invalidation reaches the other instance L1', async () => {
    await warm('l1pat', 'user-1', 'v1');
    await a.invalidator.invalidatePattern('l1pat', ['user-1']);
    // strict: no waiting once the invalidation returned
    expect(await b.namespace('l1pat').getOrLoad('user-1', async () => 'v2')).toBe('v2');
  });

  it('clears (and bypasses) L1 while the subscriber reconnects: pub/sub is at-most-once', async () => {
    const c = b.namespace('l1reconnect');
    // L1 serves only while the bus is joined (a busy machine can make a heartbeat late).
    await eventually(() => !b.l1!.suspended);
    await c.getOrLoad('k', async () => 'v1');
    expect(b.l1!.peek('l1reconnect')!.lru.size).toBe(1);
    const subscriber = (b.bus as unknown as { subscriber: RedisClient }).subscriber;
    const closed = new Promise((r) => subscriber.once('close', r));
    subscriber.disconnect(true);
    await closed;
    expect(b.l1!.suspended).toBe(true);
    expect(b.l1!.size()).toBe(0);
    await raw.del(c.key('k')); // an invalidation this instance could have missed
    expect(await c.getOrLoad('k', async () => 'v2')).toBe('v2');
    await eventually(() => !b.l1!.suspended);
    expect(await c.getOrLoad('k', async () => 'v3')).toBe('v2');
    expect(b.l1!.peek('l1reconnect')!.lru.size).toBe(1);
  });

  it('an instance that is registered but silent only delays invalidations by ackTimeoutMs', async () => {
    const c = await kit.cache({ l1: { max: 10, ttlMs: 10_000, ackTimeoutMs: 200 } });
    await raw.hset(`${kit.prefix}:__cache_instances`, 'ghost', String(Date.now() + 60_000));
    const started = Date.now();
    expect(await c.namespace('ghost').delete('k')).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
    await raw.hdel(`${kit.prefix}:__cache_instances`, 'ghost');
  });

  it('peek() answers synchronously from L1 only: hits (null included), misses, invalidations, L1 off', async () => {
    const c = b.namespace('l1peek');
    await eventually(() => !b.l1!.suspended);
    expect(c.peek('k')).toBeUndefined(); // never loaded here
    await c.getOrLoad('k', async () => ({ n: 1 }));
    await c.getOrLoad('gone', async () => null);
    const hits = b.stats.snapshot().namespaces.l1peek.l1Hits;
    expect(c.peek('k')).toEqual({ value: { n: 1 } });
    expect(c.peek('gone')).toEqual({ value: null });
    expect(b.stats.snapshot().namespaces.l1peek.l1Hits).toBe(hits + 2);
    await a.namespace('l1peek').delete('k'); // on the other instance
    expect(c.peek('k')).toBeUndefined();
    const off = b.namespace('l1peek-off', { defaults: { l1: false } });
    await off.getOrLoad('k', async () => 'v');
    expect(off.peek('k')).toBeUndefined();
  });

  it('an L1 hit is an already-resolved promise, the same one for every hit of an entry', async () => {
    const c = a.namespace('l1promise');
    await c.getOrLoad('k', async () => ({ n: 1 }));
    const p1 = c.getOrLoad('k', async () => ({ n: 2 }));
    const p2 = c.getOrLoad('k', async () => ({ n: 3 }), { ttl: 5_000 });
    expect(p1).toBe(p2);
    expect(await p1).toEqual({ n: 1 });
    await c.set('k', { n: 4 }); // drops the entry from L1 (ours too)
    expect(await c.getOrLoad('k', async () => ({ n: 5 }))).toEqual({ n: 4 });
    const p3 = c.getOrLoad('k', async () => ({ n: 6 }));
    expect(p3).not.toBe(p1);
    expect(await p3).toEqual({ n: 4 });
  });

  it('callers cannot change what other callers get from L1', async () => {
    const c = a.namespace('l1isolation');
    const loaded = { list: [1, 2], nested: { n: 1 } };
    const first = await c.getOrLoad('k', async () => loaded);
    loaded.list.push(3); // the loader's own object stays its caller's, and mutable
    expect(Object.isFrozen(loaded)).toBe(false);
    const hit = await c.getOrLoad<{ list: number[]; nested: { n: number } }>('k', async () => ({ list: [], nested: { n: 0 } }));
    expect(hit).toEqual({ list: [1, 2], nested: { n: 1 } });
    expect(() => hit.nested.n++).toThrow(TypeError);
    expect(() => hit.list.push(4)).toThrow(TypeError);
    expect(await c.getOrLoad('k', async () => ({ list: [], nested: { n: 0 } }))).toEqual({ list: [1, 2], nested: { n: 1 } });
    expect(first).toBe(loaded);
  });

  it('number, string and array keys name the same entries with L1 on as without it', async () => {
    const small = await kit.cache({ l1: { max: 2, ttlMs: 30_000 }, defaultTtl: 30_000 }); // key cache of 2: overflows
    const c = small.namespace('l1keys');
    expect(await c.getOrLoad(7, async () => 'seven')).toBe('seven');
    expect(await c.getOrLoad('7', async () => 'x')).toBe('seven');
    expect(await c.getOrLoad(['7'], async () => 'x')).toBe('seven');
    expect(await c.getOrLoad('7', async () => 'x', { l1: false })).toBe('seven');
    expect(await c.getOrLoad('a:b', async () => 'colon')).toBe('colon');
    expect(c.key('a:b')).toMatch(/:a%3Ab$/);
    expect(await raw.get(c.key('a:b'))).toContain('"colon"');
    expect(await c.getOrLoad(['a', 'b'], async () => 'parts')).toBe('parts');
    for (let i = 0; i < 3; i++) {
      for (const k of [7, 'a:b', 'x', 8, 'y']) await c.getOrLoad(k, async () => `v-${k}`);
      expect(await c.getOrLoad('a:b', async () => 'x')).toBe('colon');
      expect(await c.getOrLoad(7, async () => 'x')).toBe('seven');
      expect(await c.getOrLoad('y', async () => 'x')).toBe('v-y');
    }
    await expect(c.getOrLoad(Number.NaN, async () => 'nan')).rejects.toThrow(TypeError);
  });

  it('L1 entries expire with the entry ttl', async () => {
    const c = a.namespace('l1ttl');
    await c.getOrLoad('k', async () => 'v1', { ttl: 50 });
    await sleep(80);
    expect(await c.getOrLoad('k', async () => 'v2', { ttl: 50 })).toBe('v2');
  });
});

describe('L1Store unit', () => {
  it('a read that started before an invalidation cannot refill L1', () => {
    const store = new L1Store({ max: 10, ttlMs: 1_000 });
    const ns = store.namespace('x');
    const gen = ns.generation;
    ns.delete(['k']);
    ns.set('k', 'old', 1_000, gen);
    expect(ns.get('k')).toBeUndefined();
    ns.set('k', 'new', 1_000, ns.generation);
    expect(ns.get('k')?.v).toBe('new');
  });

  /** What the entries of `store` add up to, from their own estimates. */
  const held = (store: L1Store): number =>
    store.names().reduce((sum, name) => sum + [...store.peek(name)!.lru.values()].reduce((s, box) => s + box.s, 0), 0);

  it('never holds more than maxBytes, all namespaces together', () => {
    const store = new L1Store({ max: 100_000, ttlMs: 60_000, maxBytes: 256 * 1024 });
    const names = ['products', 'lists', 'sessions'];
    for (let i = 0; i < 5_000; i++) {
      const ns = store.namespace(names[i % 3]);
      const value = { id: `id-${i}`, items: Array.from({ length: i % 40 }, (_, j) => ({ sku: `sku-${j}`, name: 'x'.repeat(j * 10) })) };
      ns.set(`k${i}`, value, 60_000, ns.generation);
      expect(store.bytes).toBeLessThanOrEqual(store.maxBytes);
    }
    expect(store.bytes).toBe(held(store));
    expect(store.size()).toBeGreaterThan(20);
    // A value larger than the whole bound is not kept.
    const ns = store.namespace('products');
    ns.set('huge', 'x'.repeat(300 * 1024), 60_000, ns.generation);
    expect(ns.get('huge')).toBeUndefined();
    expect(store.bytes).toBeLessThanOrEqual(store.maxBytes);
    store.close();
  });

  it('makes room in the namespace holding the most bytes, and counts replaced, deleted and cleared entries', () => {
    const store = new L1Store({ max: 100_000, ttlMs: 60_000, maxBytes: 64 * 1024 });
    const hot = store.namespace('hot');
    hot.set('a', { name: 'small' }, 60_000, hot.generation);
    const lists = store.namespace('lists');
    for (let i = 0; i < 200; i++) lists.set(`q${i}`, 'x'.repeat(2_000), 60_000, lists.generation);
    expect(hot.get('a')?.v).toEqual({ name: 'small' });
    expect(store.bytes).toBeLessThanOrEqual(store.maxBytes);
    lists.set('q199', 'y', 60_000, lists.generation);
    lists.delete(['q198']);
    expect(store.bytes).toBe(held(store));
    lists.clear();
    hot.clear();
    expect(store.bytes).toBe(0);
    store.close();
  });

  it('starts small and grows up to max, keeping entries, their order, TTLs and byte count', () => {
    const store = new L1Store({ max: 3_000, ttlMs: 60_000 });
    try {
      const ns = store.namespace('grow');
      expect(ns.lru.max).toBeLessThan(3_000);
      ns.set('early', 'v', 60_000, ns.generation, Date.now() - 30_000); // half its L1 life gone
      for (let i = 0; i < 2_999; i++) ns.set(`k${i}`, { i }, 60_000, ns.generation);
      expect(ns.lru.max).toBe(3_000);
      expect(ns.lru.size).toBe(3_000);
      expect(ns.get('early')?.v).toBe('v');
      expect(ns.lru.getRemainingTTL('early')).toBeLessThanOrEqual(30_000);
      expect(ns.get('k0')?.v).toEqual({ i: 0 });
      expect(store.bytes).toBe(held(store));
      // Full at max: the least recently used entry goes ('k1': 'early' and 'k0' were just read).
      ns.set('one-more', 1, 60_000, ns.generation);
      expect(ns.lru.size).toBe(3_000);
      expect(ns.get('k1')).toBeUndefined();
      expect(ns.get('early')?.v).toBe('v');
      expect(store.bytes).toBe(held(store));
    } finally {
      store.close();
    }
  });

  it('keeps a fail-safe copy only once L1 was set aside, and answers from it', () => {
    const store = new L1Store({ max: 100, ttlMs: 60_000, failSafeMs: 60_000 });
    try {
      const ns = store.namespace('fs');
      ns.set('k', 'v', 60_000, ns.generation);
      expect(ns.failSafe('k')).toBeUndefined();
      ns.setAside();
      expect(ns.get('k')).toBeUndefined();
      expect(ns.failSafe('k')).toEqual({ value: 'v' });
    } finally {
      store.close();
    }
  });

  it('a loss of trust stops serving every entry but keeps it for the fail-safe, in whichever order it comes with a suspension', () => {
    const store = new L1Store({ max: 100, ttlMs: 60_000, failSafeMs: 60_000 });
    try {
      const ns = store.namespace('fs');
      ns.set('a', 'va', 60_000, ns.generation);
      ns.set('b', 'vb', 60_000, ns.generation);
      const before = ns.generation;
      store.distrustAll(); // invalidations may have been missed
      expect(ns.get('a')).toBeUndefined();
      expect(ns.generation).toBeGreaterThan(before); // reads begun before cannot fill L1
      store.setAsideAll(); // then Redis goes away: nothing left to set aside, the copies stay
      expect(ns.failSafe('a')).toEqual({ value: 'va' });
      ns.delete(['b']); // an invalidation that does arrive still removes the copy
      expect(ns.failSafe('b')).toBeUndefined();
      store.clearAll(); // the database was flushed: nothing is kept
      expect(ns.failSafe('a')).toBeUndefined();
    } finally {
      store.close();
    }
  });

  it('drops expired entries on its sweep, not only when they are read or evicted', async () => {
    const store = new L1Store({ max: 1_000, ttlMs: 100 });
    try {
      const ns = store.namespace('n');
      for (let i = 0; i < 50; i++) ns.set(`k${i}`, `v${i}`, 60_000, ns.generation);
      expect(ns.lru.size).toBe(50);
      await eventually(() => ns.lru.size === 0, 5_000);
      expect(store.bytes).toBe(0);
    } finally {
      store.close();
    }
  });

  it("an entry's L1 life counts from its read, not from when the reply was handled", () => {
    const store = new L1Store({ max: 10, ttlMs: 1_000 });
    const ns = store.namespace('n');
    ns.set('late', 'v', 60_000, ns.generation, Date.now() - 1_500); // handled after the whole L1 ttl
    expect(ns.get('late')).toBeUndefined();
    ns.set('recent', 'v', 60_000, ns.generation, Date.now() - 400);
    expect(ns.get('recent')?.v).toBe('v');
    expect(ns.lru.getRemainingTTL('recent')).toBeLessThanOrEqual(600);
    ns.set('loaded', 'v', 60_000, ns.generation); // a value just loaded: the full L1 ttl
    expect(ns.lru.getRemainingTTL('loaded')).toBeGreaterThan(900);
  });

  it('globToRegExp matches like Redis globs', () => {
    expect(globToRegExp('app:p:v1:user:*').test('app:p:v1:user:1')).toBe(true);
    expect(globToRegExp('app:p:v1:user:*').test('app:p:v1:users:1')).toBe(false);
    expect(globToRegExp('a?c').test('abc')).toBe(true);
    expect(globToRegExp('a[bc]d').test('acd')).toBe(true);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
  });
});

describe('L1 next to an instance that silently stops reading its subscription', () => {
  const kit = new CacheKit('l1silent');
  afterAll(() => kit.cleanup());

  it('cannot serve a value from before a write once the write returned (L1 ttl < ack timeout)', async () => {
    const l1 = { max: 100, ttlMs: 300, ackTimeoutMs: 600 };
    const writer = await kit.cache({ l1, defaultTtl: 30_000 });
    const silent = await kit.cache({ l1, defaultTtl: 30_000 });
    await writer.namespace('s').set('k', 'v1');
    expect(await silent.namespace('s').getOrLoad('k', async () => 'loader')).toBe('v1');
    expect(silent.l1!.peek('s')!.lru.size).toBe(1);
    // No close, no error: the socket just stops being read (a stalled peer or network).
    const stream = (silent.bus as unknown as { subscriber: { stream: { pause(): void; resume(): void } } }).subscriber.stream;
    stream.pause();
    try {
      const started = Date.now();
      await writer.namespace('s').set('k', 'v2');
      expect(Date.now() - started).toBeGreaterThanOrEqual(550); // it waited for the silent instance
      expect(await silent.namespace('s').getOrLoad('k', async () => 'loader')).toBe('v2');
    } finally {
      stream.resume();
    }
  });
});
