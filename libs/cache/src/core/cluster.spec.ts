import type { Cluster } from 'ioredis';
import { createCache, type CacheService } from '../create-cache.js';
import { waitForReady } from '../redis/connection.js';
import { startRedisCluster, type RedisClusterHandle } from '../testing/redis-harness.js';
import { deferred, sleep } from './testing/kit.js';

describe('on a Redis Cluster (3 masters)', () => {
  let cluster: RedisClusterHandle;
  let svc: CacheService;
  let other: CacheService;
  let client: Cluster;

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
    svc = createCache({ redis: { nodes: cluster.nodes, commandTimeoutMs: 2_000 }, prefix: 'ct', l1: { max: 100, ttlMs: 10_000 } });
    other = createCache({ redis: { nodes: cluster.nodes, commandTimeoutMs: 2_000 }, prefix: 'ct', l1: { max: 100, ttlMs: 10_000 } });
    await svc.ready(15_000);
    await other.ready(15_000);
    client = svc.client as Cluster;
  }, 60_000);

  afterAll(async () => {
    await svc?.close();
    await other?.close();
    await cluster?.stop();
  });

  const slot = (key: string) => client.cluster('KEYSLOT', key);

  /** Number of distinct masters holding at least one of the keys. */
  async function mastersHolding(keys: string[]): Promise<number> {
    let n = 0;
    for (const node of client.nodes('master')) {
      const [, found] = await node.scan('0', 'MATCH', 'ct:*', 'COUNT', 10_000);
      if (found.some((k) => keys.includes(k))) n++;
    }
    return n;
  }

  it('keys that must share a slot do (hash tags), other keys spread', async () => {
    const qty = svc.keys.hashTagged('cart', 'c-42', 'qty');
    const details = svc.keys.hashTagged('cart', 'c-42', 'details');
    expect(await slot(qty)).toBe(await slot(details));
    await client.hset(qty, 'p1', 2);
    await client.hset(details, 'p1', 'name');
    const [[e1, r1], [e2, r2]] = (await client.multi().hget(qty, 'p1').hget(details, 'p1').exec())!;
    expect([e1, r1, e2, r2]).toEqual([null, '2', null, 'name']);
    const slots = new Set(await Promise.all(Array.from({ length: 20 }, (_, i) => slot(svc.cache.key(['p', i])))));
    expect(slots.size).toBeGreaterThan(1);
  });

  it('getOrLoad, single-flight, mget and the compare-and-set store work across slots', async () => {
    const c = svc.namespace('cl');
    let calls = 0;
    const results = await Promise.all(
      Array.from({ length: 100 }, () =>
        c.getOrLoad('hot', async () => {
          calls++;
          await sleep(50);
          return { v: 1, at: new Date(5) };
        }),
      ),
    );
    expect(calls).toBe(1);
    expect(results[99]).toEqual({ v: 1, at: new Date(5) });
    for (let i = 0; i < 30; i++) await c.getOrLoad(['p', i], async () => i);
    expect(
      await c.mget([
        ['p', 0],
        ['p', 29],
        ['p', 99],
      ]),
    ).toEqual([0, 29, undefined]);
    expect(await other.namespace('cl').getOrLoad(['p', 3], async () => -1)).toBe(3);
  });

  it('pattern invalidation reaches every master', async () => {
    const c = svc.namespace('clpat');
    const keys: string[] = [];
    for (let i = 0; i < 60; i++) {
      await c.getOrLoad(['u', 1, i], async () => i);
      keys.push(c.key(['u', 1, i]));
    }
    await c.getOrLoad(['u', 2, 0], async () => 'keep');
    expect(await mastersHolding(keys)).toBe(3);
    expect(await svc.invalidator.invalidatePattern('clpat', ['u', 1])).toBe(60);
    expect(await mastersHolding(keys)).toBe(0);
    expect(await c.get(['u', 2, 0])).toBe('keep');
  });

  it('namespace invalidation hides entries on every master, for every instance', async () => {
    const c = svc.namespace('clns');
    for (let i = 0; i < 30; i++) await c.getOrLoad(['k', i], async () => 'old');
    for (let i = 0; i < 30; i++) expect(await other.namespace('clns').getOrLoad(['k', i], async () => 'x')).toBe('old');
    await svc.invalidator.invalidateNamespace('clns');
    for (let i = 0; i < 30; i++) expect(await other.namespace('clns').getOrLoad(['k', i], async () => 'new')).toBe('new');
    expect(await c.get(['k', 0])).toBe('new');
  });

  it('tag invalidation across slots', async () => {
    const c = svc.namespace('cltag');
    for (let i = 0; i < 40; i++) await c.getOrLoad(['k', i], async () => i, { tags: ['t'] });
    expect(await svc.invalidator.invalidateTag('cltag', 't')).toBe(true);
    expect(
      await c.mget([
        ['k', 0],
        ['k', 39],
      ]),
    ).toEqual([undefined, undefined]);
  });

  it('soft and hard O(1) tag invalidation across slots (tag versions read per slot, no CROSSSLOT)', async () => {
    const ns = 'clsoft';
    const tags = ['t-a', 't-b', 't-c'];
    const opts = { ttl: 60_000, staleFor: 10_000, tags };
    const keys = Array.from({ length: 30 }, (_, i) => ['k', i] as const);
    const versionSlots = new Set(await Promise.all(tags.map((t) => slot(svc.keys.tagVersion(ns, t)))));
    expect(versionSlots.size).toBeGreaterThan(1);
    for (const k of keys) await svc.namespace(ns).getOrLoad([...k], async () => 'v1', opts);
    expect(
      await other.namespace(ns).getMany(
        keys.map((k) => [...k]),
        async () => {
          throw new Error('cached');
        },
        opts,
      ),
    ).toEqual(Array(30).fill('v1'));
    expect(await svc.namespace(ns).invalidateTag('t-b', { soft: true })).toBe(true);
    let calls = 0;
    const loader = async () => (calls++, 'v2');
    // Stale within grace on the other instance (its L1 dropped the tag's version), one refresh per key.
    expect(await other.namespace(ns).getOrLoad(['k', 0], loader, opts)).toBe('v1');
    expect(await other.namespace(ns).get(['k', 1])).toBeUndefined();
    const until = Date.now() + 3_000;
    while ((await svc.namespace(ns).get(['k', 0], { l1: false })) !== 'v2' && Date.now() < until) await sleep(10);
    expect(calls).toBe(1);
    expect(await svc.namespace(ns).invalidateTag('t-c', { sweep: false })).toBe(true);
    expect(await other.namespace(ns).getOrLoad(['k', 5], async () => 'v3', opts)).toBe('v3');
    expect(await svc.namespace(ns).mget(keys.slice(6).map((k) => [...k]))).toEqual(Array(24).fill(undefined));
    const errors = (s: CacheService) => s.stats.snapshot().namespaces[ns]?.errors ?? 0;
    expect(errors(svc) + errors(other)).toBe(0); // a CROSSSLOT would be a failed-open Redis error
  });

  it('L1 invalidation crosses instances through cluster pub/sub', async () => {
    await svc.namespace('cll1').getOrLoad('k', async () => 'v1');
    expect(await other.namespace('cll1').getOrLoad('k', async () => 'x')).toBe('v1');
    await svc.namespace('cll1').delete('k');
    const end = Date.now() + 3_000;
    let v = '';
    while (Date.now() < end && v !== 'v2') {
      v = await other.namespace('cll1').getOrLoad('k', async () => 'v2');
      await sleep(10);
    }
    expect(v).toBe('v2');
  });

  it('a load holder past its lease cannot store once another took over (fence and entry share a slot)', async () => {
    const lease = { ttlMs: 300, waitMs: 10_000 };
    const make = () =>
      createCache({
        redis: { nodes: cluster.nodes, commandTimeoutMs: 2_000 },
        prefix: 'ct',
        l1: { max: 100, ttlMs: 10_000 },
        loadLock: lease,
      });
    const a = make();
    const b = make();
    try {
      await Promise.all([a.ready(15_000), b.ready(15_000)]);
      const entry = a.namespace('clfence').key('k');
      expect(await slot(`${svc.keys.lockFor('clfence', entry)}:fence`)).toBe(await slot(entry));
      const [aStarted, aGate, bStarted, bGate] = [deferred(), deferred(), deferred(), deferred()];
      const first = a.namespace('clfence').getOrLoad('k', async () => (aStarted.resolve(), await aGate.promise, 'old'));
      await aStarted.promise;
      const second = b.namespace('clfence').getOrLoad('k', async () => (bStarted.resolve(), await bGate.promise, 'new'));
      await bStarted.promise; // a's lease ran out: b holds the lock now, both expected the missing entry
      aGate.resolve();
      expect(await first).toBe('old'); // a's caller gets its own value, but a's store is refused
      bGate.resolve();
      expect(await second).toBe('new');
      expect(await other.namespace('clfence').get('k')).toBe('new');
      expect(a.namespace('clfence').peek('k')).toBeUndefined();
      expect(b.namespace('clfence').peek('k')).toEqual({ value: 'new' });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('the connection factory waits for the cluster like for a single node', async () => {
    await expect(waitForReady(svc.client, 1_000)).resolves.toBeUndefined();
  });

  it('getMany reads keys of many slots (one MGET per slot), loads the misses once, and setMany/deleteMany cross slots', async () => {
    const c = svc.namespace('many');
    const keys = Array.from({ length: 40 }, (_, i) => `m${i}`);
    await c.setMany(keys.slice(0, 20).map((k) => [k, `set-${k}`] as const));
    const calls: unknown[][] = [];
    const res = await c.getMany(keys, async (ks) => (calls.push(ks), ks.map((k) => `loaded-${String(k)}`)), { l1: false });
    expect(res).toEqual(keys.map((k, i) => (i < 20 ? `set-${k}` : `loaded-${k}`)));
    expect(calls).toEqual([keys.slice(20)]);
    expect(await mastersHolding(keys.map((k) => c.key(k)))).toBe(3);
    expect(
      await other.namespace('many').getMany(
        keys,
        async () => {
          throw new Error('not called');
        },
        { l1: false },
      ),
    ).toEqual(res);
    expect(await c.deleteMany(keys)).toBe(true);
    expect(await other.namespace('many').getMany(keys.slice(0, 2), async (ks) => ks.map(() => 'again'), { l1: false })).toEqual([
      'again',
      'again',
    ]);
  });
});
