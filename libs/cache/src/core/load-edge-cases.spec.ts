import type { CacheService } from '../create-cache.js';
import type { RedisClient } from '../redis/connection.js';
import { CacheLoadTimeoutError } from './errors.js';
import { CacheKit, deferred, sleep } from './testing/kit.js';

describe('CacheAside edge cases (real Redis)', () => {
  const kit = new CacheKit('edge');
  const loadErrors: unknown[] = [];
  let svc: CacheService;
  let raw: RedisClient;

  beforeAll(async () => {
    svc = await kit.cache({ onLoadError: (err) => loadErrors.push(err) });
    raw = await kit.client();
  });
  afterAll(() => kit.cleanup());

  it('caches entries whose durations have fractions of a millisecond (PX takes whole ms)', async () => {
    const c = svc.namespace('fractions');
    let calls = 0;
    const loader = async (): Promise<string> => `v${++calls}`;
    for (const opts of [{ ttl: 1500.5 }, { ttl: 1000, staleFor: 250.25 }]) {
      const key = `k${JSON.stringify(opts)}`;
      calls = 0;
      expect(await c.getOrLoad(key, loader, opts)).toBe('v1');
      expect(await c.getOrLoad(key, loader, opts)).toBe('v1');
      expect(calls).toBe(1);
      const pttl = await raw.pttl(c.key(key));
      expect(Number.isInteger(pttl) && pttl > 0).toBe(true);
    }
    calls = 0;
    const none = async (): Promise<undefined> => {
      calls++;
      return undefined;
    };
    await c.getOrLoad('neg', none, { negativeTtl: 999.9 });
    await c.getOrLoad('neg', none, { negativeTtl: 999.9 });
    expect(calls).toBe(1);
    expect(await c.set('set', 'x', { ttl: 2500.1 })).toBe(true);
    expect(await c.get('set')).toBe('x');
  });

  it('ttl: Infinity keeps an entry until it is invalidated', async () => {
    const c = svc.namespace('forever');
    expect(await c.getOrLoad('k', async () => 'v', { ttl: Infinity })).toBe('v');
    expect(await raw.pttl(c.key('k'))).toBe(-1);
    expect(await c.getOrLoad('k', async () => 'other', { ttl: Infinity })).toBe('v');
    expect(await c.set('s', 'w', { ttl: Infinity })).toBe(true);
    expect(await raw.pttl(c.key('s'))).toBe(-1);
    await c.delete('k');
    expect(await c.getOrLoad('k', async () => 'after', { ttl: Infinity })).toBe('after');
  });

  it('a hard timeout keeps the late value: one loader runs and its value is stored', async () => {
    const c = svc.namespace('late');
    let running = 0;
    let maxRunning = 0;
    let calls = 0;
    const slow = async (): Promise<string> => {
      calls++;
      maxRunning = Math.max(maxRunning, ++running);
      await sleep(500); // ignores its abort signal
      running--;
      return 'slow';
    };
    const outcomes: Promise<unknown>[] = [];
    for (let i = 0; i < 6; i++) {
      outcomes.push(c.getOrLoad('k', slow, { hardTimeoutMs: 100 }).catch((e: unknown) => e));
      await sleep(120);
    }
    const settled = await Promise.all(outcomes);
    expect(settled[0]).toBeInstanceOf(CacheLoadTimeoutError);
    expect(calls).toBe(1);
    expect(maxRunning).toBe(1);
    const until = Date.now() + 3_000; // stored once the loader ends (~500 ms)
    while ((await c.get('k')) !== 'slow' && Date.now() < until) await sleep(20);
    expect(await c.getOrLoad('k', async () => 'again', { hardTimeoutMs: 100 })).toBe('slow');
    expect(calls).toBe(1);
  });

  it('a miss never waits for another holder of the load lock past its own hard timeout', async () => {
    const other = await kit.cache();
    const hold = deferred<string>();
    const holder = other.namespace('held').getOrLoad('k', () => hold.promise);
    await sleep(100); // the other instance holds the load lock now
    const start = Date.now();
    await expect(svc.namespace('held').getOrLoad('k', async () => 'mine', { hardTimeoutMs: 300 })).rejects.toBeInstanceOf(
      CacheLoadTimeoutError,
    );
    expect(Date.now() - start).toBeLessThan(2_500); // the lock wait alone is 5 s
    hold.resolve('theirs');
    expect(await holder).toBe('theirs');
  });

  it('a failing background refresh is counted once as a load error and reported', async () => {
    const c = svc.namespace('bgfail');
    await c.getOrLoad('k', async () => 'old', { ttl: 50, staleFor: 10_000 });
    await sleep(80);
    const before = svc.stats.snapshot().namespaces.bgfail;
    const reported = loadErrors.length;
    const boom = new Error('source down');
    expect(await c.getOrLoad('k', async () => Promise.reject(boom), { ttl: 50, staleFor: 10_000, refreshBackoffMs: 0 })).toBe('old');
    await sleep(50);
    const after = svc.stats.snapshot().namespaces.bgfail;
    expect(after.staleServes - before.staleServes).toBe(1);
    expect(after.loadErrors - before.loadErrors).toBe(1);
    expect(loadErrors.slice(reported)).toEqual([boom]);
    // With a soft timeout the caller waits, the refresh fails: still one stale serve.
    const b2 = svc.stats.snapshot().namespaces.bgfail;
    expect(
      await c.getOrLoad('k', async () => Promise.reject(boom), { ttl: 50, staleFor: 10_000, softTimeoutMs: 1_000, refreshBackoffMs: 0 }),
    ).toBe('old');
    const a2 = svc.stats.snapshot().namespaces.bgfail;
    expect(a2.staleServes - b2.staleServes).toBe(1);
    expect(a2.loadErrors - b2.loadErrors).toBe(1);
  });

  it('mget answers a dense array (undefined where missing, no holes)', async () => {
    const c = svc.namespace('dense');
    await c.set('b', 2);
    const res = await c.mget(['a', 'b', 'c']);
    expect(res).toEqual([undefined, 2, undefined]);
    expect(Object.keys(res)).toEqual(['0', '1', '2']);
  });

  it('nullIsMiss answers the same (undefined) on the load and on the cached negative entry', async () => {
    const c = svc.namespace('nullmiss');
    const opts = { nullIsMiss: true, negativeTtl: 10_000 };
    const first = await c.getOrLoad('k', async () => null, opts);
    const second = await c.getOrLoad('k', async () => 'never', opts);
    expect(first).toBeUndefined();
    expect(second).toBeUndefined();
  });

  it('after a failed refresh, the grace period serves stale without calling the loader again until the backoff ends', async () => {
    const c = svc.namespace('backoff');
    const opts = { ttl: 30, staleFor: 60_000, refreshBackoffMs: 1_500 };
    await c.getOrLoad('k', async () => 'old', opts);
    await sleep(50);
    let calls = 0;
    const failing = async (): Promise<string> => {
      calls++;
      throw new Error('source down');
    };
    expect(await c.getOrLoad('k', failing, opts)).toBe('old');
    await sleep(20);
    for (let i = 0; i < 5; i++) expect(await c.getOrLoad('k', failing, opts)).toBe('old');
    expect(calls).toBe(1);
    await sleep(1_600);
    // Refreshes in the background now (stored fresh for long, so the check below cannot miss it).
    expect(await c.getOrLoad('k', async () => 'new', { ...opts, ttl: 60_000 })).toBe('old');
    const until = Date.now() + 3_000;
    while ((await c.get('k')) !== 'new' && Date.now() < until) await sleep(20);
    expect(await c.get('k')).toBe('new');
  });

  it('forceFresh runs the loader whatever is cached, and stores its value', async () => {
    const c = svc.namespace('force');
    await c.getOrLoad('k', async () => 'v1');
    expect(await c.getOrLoad('k', async () => 'v2', { forceFresh: true })).toBe('v2');
    expect(await c.getOrLoad('k', async () => 'v3')).toBe('v2');
  });

  it('expire() keeps the value for its grace period while one caller refreshes it; without grace it reloads', async () => {
    const c = svc.namespace('expire');
    const grace = { ttl: 60_000, staleFor: 60_000 };
    await c.getOrLoad('g', async () => 'old', grace);
    expect(await c.expire('g')).toBe(true);
    expect(await raw.pttl(c.key('g'))).toBeGreaterThan(60_000); // the entry stays for its grace
    let calls = 0;
    const refresh = async (): Promise<string> => (calls++, 'new');
    expect(await c.getOrLoad('g', refresh, grace)).toBe('old');
    const until = Date.now() + 3_000;
    while ((await c.get('g')) !== 'new' && Date.now() < until) await sleep(20);
    expect(calls).toBe(1);
    await c.getOrLoad('n', async () => 'old');
    expect(await c.expire('n')).toBe(true);
    expect(await c.getOrLoad('n', async () => 'reloaded')).toBe('reloaded');
    expect(await c.expire('missing')).toBe(false);
  });
});
