import { CacheKit } from '../core/testing/kit.js';

/** l1: 'reread': a loaded value stays out of L1 until it is read again. */
describe("L1 admission on reread (l1: 'reread')", () => {
  const kit = new CacheKit('reread');
  afterAll(() => kit.cleanup());

  it('keeps a loaded value out of L1; the next read (from Redis) puts it there', async () => {
    const svc = await kit.cache({ l1: { max: 100, ttlMs: 60_000 }, defaultTtl: 60_000 });
    const c = svc.namespace('pages', { defaults: { l1: 'reread' } });
    let loads = 0;
    const load = async (): Promise<{ page: number }> => ({ page: ++loads });

    expect(await c.getOrLoad('q1', load)).toEqual({ page: 1 });
    expect(c.peek('q1')).toBeUndefined();
    const afterLoad = svc.stats.snapshot().namespaces.pages;

    expect(await c.getOrLoad('q1', load)).toEqual({ page: 1 });
    const afterReread = svc.stats.snapshot().namespaces.pages;
    expect(afterReread.hits - afterLoad.hits).toBe(1);
    expect(afterReread.l1Hits - afterLoad.l1Hits).toBe(0); // served by Redis
    expect(c.peek('q1')).toEqual({ value: { page: 1 } });
    expect(await c.getOrLoad('q1', load)).toEqual({ page: 1 });
    expect(svc.stats.snapshot().namespaces.pages.l1Hits - afterReread.l1Hits).toBe(2); // peek + this read
    expect(loads).toBe(1);
  });

  it('an invalidation still reaches the page L1 took on reread', async () => {
    const svc = await kit.cache({ l1: { max: 100, ttlMs: 60_000 }, defaultTtl: 60_000 });
    const c = svc.namespace('inval', { defaults: { l1: 'reread' } });
    let loads = 0;
    const load = async (): Promise<number> => ++loads;
    await c.getOrLoad('k', load);
    await c.getOrLoad('k', load);
    expect(c.peek('k')).toEqual({ value: 1 });
    await c.invalidateAll();
    expect(c.peek('k')).toBeUndefined();
    expect(await c.getOrLoad('k', load)).toBe(2);
    expect(c.peek('k')).toBeUndefined();
  });

  it('by default a loaded value enters L1 at once', async () => {
    const svc = await kit.cache({ l1: { max: 100, ttlMs: 60_000 }, defaultTtl: 60_000 });
    const c = svc.namespace('eager');
    expect(await c.getOrLoad('k', async () => 'v')).toBe('v');
    expect(c.peek('k')).toEqual({ value: 'v' });
  });
});
