import { Redis } from 'ioredis';
import { CacheKit, deferred, sleep } from '../core/testing/kit.js';
import { createCache, type CacheService } from '../create-cache.js';
import { startRedisServer, type RedisServerHandle } from '../testing/redis-harness.js';

/** Commands a Redis server ran since the last CONFIG RESETSTAT, by name, with those inside scripts (INFO/CONFIG left out). */
async function commandCounts(admin: Redis): Promise<Record<string, number>> {
  const info = await admin.info('commandstats');
  const out: Record<string, number> = {};
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (!/^(info|config)\b/.test(m[1])) out[m[1]] = Number(m[2]);
  }
  return out;
}

const total = (counts: Record<string, number>): number => Object.values(counts).reduce((a, b) => a + b, 0);

describe('O(1) tag invalidation (own redis-server)', () => {
  let server: RedisServerHandle;
  let admin: Redis;
  let svc: CacheService;

  beforeAll(async () => {
    server = await startRedisServer();
    admin = new Redis(server.url);
    svc = createCache({ redis: { url: server.url, commandTimeoutMs: 10_000 }, prefix: 'soft', defaultTtl: 600_000 });
    await svc.ready();
  }, 30_000);

  afterAll(async () => {
    await svc?.close();
    admin?.disconnect();
    await server?.dispose();
  });

  async function fill(ns: string, n: number, tag: string): Promise<void> {
    const c = svc.namespace(ns);
    for (let i = 0; i < n; i += 5_000) {
      expect(
        await c.setMany(
          Array.from({ length: Math.min(5_000, n - i) }, (_, j) => [i + j, i + j] as const),
          { tags: [tag] },
        ),
      ).toBe(true);
    }
  }

  /** Commands and milliseconds one invalidation of `tag` in `ns` costs. */
  async function measure(
    ns: string,
    tag: string,
    options: { soft?: boolean; sweep?: boolean },
  ): Promise<{ counts: Record<string, number>; ms: number }> {
    await admin.config('RESETSTAT');
    const t = process.hrtime.bigint();
    expect(await svc.namespace(ns).invalidateTag(tag, options)).toBe(true);
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    return { counts: await commandCounts(admin), ms };
  }

  it('soft and hard (sweep: false) invalidation of a tag on 100,000 keys run the same commands as on 10', async () => {
    await fill('small', 10, 'big');
    await fill('large', 100_000, 'big');
    expect(await admin.scard(svc.keys.tag('large', 'big'))).toBe(100_000);
    expect(await svc.namespace('large').get(99_999)).toBe(99_999);
    await measure('small', 'warm-up', { soft: true }); // loads the script (EVAL after NOSCRIPT) once
    for (const options of [{ soft: true }, { sweep: false }]) {
      const small = await measure('small', 'big', options);
      const large = await measure('large', 'big', options);
      // One script call (its GET, TIME and SET counted too), whatever the tag carries.
      expect(large.counts).toEqual(small.counts);
      expect(large.counts).toEqual({ evalsha: 1, get: 1, time: 1, set: 1 });
      expect(total(large.counts)).toBe(4);
      expect(large.ms).toBeLessThan(Math.max(50, small.ms * 20));
      // …and every entry of the tag is affected (stale or dead: no hit).
      expect(await svc.namespace('large').mget([0, 50_000, 99_999])).toEqual([undefined, undefined, undefined]);
    }
  }, 120_000);

  it('the default hard invalidation still sweeps the tag (SSCAN + tombstones), O(keys)', async () => {
    await fill('sweep', 1_000, 't');
    const { counts } = await measure('sweep', 't', {});
    expect(counts.sscan).toBeGreaterThan(0);
    expect(await admin.scard(svc.keys.tag('sweep', 't'))).toBe(0);
  });
});

describe('soft and hard tag invalidation (real Redis)', () => {
  const kit = new CacheKit('softtag');
  let a: CacheService;
  let b: CacheService;
  let plain: CacheService;

  beforeAll(async () => {
    a = await kit.cache({ defaultTtl: 60_000, l1: { max: 1_000, ttlMs: 5_000 } });
    b = await kit.cache({ defaultTtl: 60_000, l1: { max: 1_000, ttlMs: 5_000 } });
    plain = await kit.cache({ defaultTtl: 60_000 });
  });
  afterAll(() => kit.cleanup());

  const opts = (extra: object = {}) => ({ ttl: 60_000, staleFor: 5_000, tags: ['cat'], ...extra });

  it('within grace: the old value is served to 50 concurrent callers on two instances while exactly one loader refreshes', async () => {
    const ns = 'grace';
    await a.namespace(ns).getOrLoad('k', async () => 'v1', opts());
    expect(await b.namespace(ns).getOrLoad('k', async () => 'unexpected', opts())).toBe('v1');
    expect(await a.namespace(ns).invalidateTag('cat', { soft: true })).toBe(true);
    let calls = 0;
    const gate = deferred();
    const loader = async () => {
      calls++;
      await gate.promise;
      return 'v2';
    };
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).namespace(ns).getOrLoad('k', loader, opts())));
    expect(results).toEqual(Array(50).fill('v1'));
    gate.resolve();
    const until = Date.now() + 3_000;
    while ((await plain.namespace(ns).get('k')) !== 'v2' && Date.now() < until) await sleep(10);
    expect(calls).toBe(1);
    expect(await a.namespace(ns).getOrLoad('k', loader, opts())).toBe('v2');
    expect(await b.namespace(ns).getOrLoad('k', loader, opts())).toBe('v2');
    expect(calls).toBe(1);
  });

  it('after the grace period a softly invalidated entry is a miss; without staleFor at once', async () => {
    const c = plain.namespace('aftergrace');
    await c.getOrLoad('k', async () => 'v1', opts({ staleFor: 300 }));
    await c.invalidateTag('cat', { soft: true });
    expect(await c.get('k')).toBeUndefined(); // stale: not a hit for get()
    await sleep(400);
    let calls = 0;
    expect(await c.getOrLoad('k', async () => (calls++, 'v2'), opts({ staleFor: 300 }))).toBe('v2');
    expect(calls).toBe(1);
    await c.invalidateTag('cat', { soft: true });
    expect(await c.getOrLoad('k', async () => 'v3', opts({ staleFor: undefined }))).toBe('v3');
  });

  it.each([
    ['with the sweep', {}],
    ['without the sweep (O(1))', { sweep: false }],
  ])('hard invalidation %s: a miss at once, even within staleFor', async (_label, options) => {
    const ns = `hard${Object.keys(options).length}`;
    await a.namespace(ns).getOrLoad('k', async () => 'v1', opts());
    expect(await b.namespace(ns).getOrLoad('k', async () => 'x', opts())).toBe('v1');
    expect(await a.namespace(ns).invalidateTag('cat', options)).toBe(true);
    expect(b.namespace(ns).peek('k')).toBeUndefined();
    expect(await b.namespace(ns).getOrLoad('k', async () => 'v2', opts())).toBe('v2');
    expect(await a.namespace(ns).getOrLoad('k', async () => 'v3', opts())).toBe('v2');
  });

  it("another instance's L1 stops serving the entry as fresh the moment a soft invalidation returns", async () => {
    const ns = 'l1soft';
    await a.namespace(ns).getOrLoad('k', async () => 'v1', opts());
    await b.namespace(ns).getOrLoad('k', async () => 'x', opts());
    expect(b.namespace(ns).peek('k')).toEqual({ value: 'v1' });
    await a.namespace(ns).invalidateTag('cat', { soft: true });
    expect(b.namespace(ns).peek('k')).toBeUndefined();
    expect(a.namespace(ns).peek('k')).toBeUndefined();
    expect(await b.namespace(ns).get('k')).toBeUndefined(); // stale is no hit
    const refreshed = deferred<string>();
    expect(await b.namespace(ns).getOrLoad('k', () => refreshed.promise, opts())).toBe('v1'); // stale, refreshing
    refreshed.resolve('v2');
    const until = Date.now() + 3_000;
    while (b.namespace(ns).peek('k') === undefined && Date.now() < until) {
      await b.namespace(ns).getOrLoad('k', async () => 'v2', opts());
      await sleep(10);
    }
    expect(b.namespace(ns).peek('k')).toEqual({ value: 'v2' });
  });

  it('entries loaded or written after the invalidation are fresh; other tags and untagged entries are untouched', async () => {
    const c = plain.namespace('after');
    await c.getOrLoad('old', async () => 'old', opts());
    await c.getOrLoad('other', async () => 'other', opts({ tags: ['dog'] }));
    await c.getOrLoad('untagged', async () => 'untagged', opts({ tags: undefined }));
    await c.invalidateTag('cat', { soft: true });
    await c.invalidateTag('cat', { sweep: false });
    await c.getOrLoad('new', async () => 'new', opts());
    await c.set('written', 'written', { tags: ['cat'] });
    let calls = 0;
    const loader = async () => (calls++, 'reloaded');
    expect(await c.getOrLoad('new', loader, opts())).toBe('new');
    expect(await c.getOrLoad('written', loader, opts())).toBe('written');
    expect(await c.get('other')).toBe('other');
    expect(await c.get('untagged')).toBe('untagged');
    expect(calls).toBe(0);
    expect(await c.getOrLoad('old', loader, opts())).toBe('reloaded');
  });

  it('a load that began before a hard O(1) invalidation stores an entry that is already dead', async () => {
    const c = plain.namespace('race');
    const gate = deferred();
    const began = deferred();
    const slow = c.getOrLoad(
      'k',
      async () => {
        began.resolve();
        await gate.promise;
        return 'old';
      },
      opts(),
    );
    await began.promise;
    await c.invalidateTag('cat', { sweep: false });
    gate.resolve();
    expect(await slow).toBe('old');
    expect(await c.getOrLoad('k', async () => 'new', opts())).toBe('new');
  });

  it('getMany honours tags: stale entries within grace are answered and refreshed once, dead ones reloaded', async () => {
    const ns = 'many';
    const keys = ['m1', 'm2', 'm3'];
    await b.namespace(ns).setMany(
      keys.map((k) => [k, `old-${k}`] as const),
      { ttl: 60_000, staleFor: 5_000, tags: ['cat'] },
    );
    expect(
      await a.namespace(ns).getMany(
        keys,
        async () => {
          throw new Error('cached');
        },
        opts(),
      ),
    ).toEqual(keys.map((k) => `old-${k}`));
    await b.namespace(ns).invalidateTag('cat', { soft: true });
    const calls: unknown[][] = [];
    const loader = async (ks: unknown[]) => (calls.push(ks), ks.map((k) => `new-${String(k)}`));
    expect(await a.namespace(ns).getMany(keys, loader, opts())).toEqual(keys.map((k) => `old-${k}`));
    const until = Date.now() + 3_000;
    while ((await plain.namespace(ns).get('m3')) !== 'new-m3' && Date.now() < until) await sleep(10);
    expect(calls).toEqual([keys]);
    expect(await a.namespace(ns).getMany(keys, loader, opts())).toEqual(keys.map((k) => `new-${k}`));
    await b.namespace(ns).invalidateTag('cat', { sweep: false });
    expect(await a.namespace(ns).mget(keys)).toEqual([undefined, undefined, undefined]);
    expect(await a.namespace(ns).getMany(keys, async (ks) => ks.map((k) => `newer-${String(k)}`), opts())).toEqual(
      keys.map((k) => `newer-${k}`),
    );
  });

  it('get() and mget() without tags read the tags of what they find', async () => {
    const c = plain.namespace('plainread');
    await c.getOrLoad('k', async () => 'v1', opts({ tags: ['cat', 'dog'] }));
    expect(await c.get('k')).toBe('v1');
    await c.invalidateTag('dog', { soft: true });
    expect(await c.get('k')).toBeUndefined();
    expect(await c.mget(['k'])).toEqual([undefined]);
    expect(await c.getOrLoad('k', async () => 'v2', opts({ tags: ['cat', 'dog'], staleFor: undefined }))).toBe('v2');
    expect(await c.get('k')).toBe('v2');
  });
});
