import { CacheKit, sleep } from '../core/testing/kit.js';

/** L1 entries hit near the end of their L1 life are read again from Redis in the background. */
describe('L1 early refresh', () => {
  const kit = new CacheKit('early');
  afterAll(() => kit.cleanup());

  it('keeps a key read all the time in L1 across several L1 lifetimes, with no miss and no load', async () => {
    // L1 lives of 1 s: the refresh is asked for in the last quarter (250 ms), which leaves a loaded
    // machine (the whole suite on two cores) time for the Redis round trip before the entry ends.
    const svc = await kit.cache({ l1: { max: 100, ttlMs: 1_000 }, defaultTtl: 60_000 });
    const c = svc.namespace('hot');
    let loads = 0;
    expect(await c.getOrLoad('k', async () => ++loads)).toBe(1);
    const before = svc.stats.snapshot().namespaces.hot;
    const until = Date.now() + 3_500; // three and a half L1 lifetimes
    let peeked = 0;
    while (Date.now() < until) {
      // peek() answers only from L1: undefined would mean the entry expired there.
      expect(c.peek('k')).toEqual({ value: 1 });
      peeked++;
      await sleep(10);
    }
    const after = svc.stats.snapshot().namespaces.hot;
    expect(peeked).toBeGreaterThan(50);
    expect(after.misses).toBe(before.misses);
    expect(loads).toBe(1);
  });

  it('keeps the object it holds while Redis holds the same entry, and takes the new one after a write', async () => {
    // L1 lives of 1.6 s: a refresh window of 400 ms (a loaded run of the whole suite stalled a
    // 150 ms window's round trip past the entry's end).
    const svc = await kit.cache({ l1: { max: 100, ttlMs: 1_600 }, defaultTtl: 60_000 });
    const c = svc.namespace('same');
    const first = await c.getOrLoad('k', async () => ({ name: 'a', tags: ['x'] }));
    const held = c.peek<object>('k')!.value;
    expect(held).toEqual(first);
    const until = Date.now() + 3_400; // two L1 lifetimes and more, each ending in a refresh
    while (Date.now() < until) {
      expect(c.peek<object>('k')!.value).toBe(held); // the same object, not an equal copy
      await sleep(10);
    }
    await c.set('k', { name: 'b', tags: ['y'] });
    expect(await c.getOrLoad('k', async () => ({ name: 'unused', tags: [] }))).toEqual({ name: 'b', tags: ['y'] });
    const next = c.peek<object>('k')!.value;
    expect(next).not.toBe(held);
    expect(next).toEqual({ name: 'b', tags: ['y'] });
  });

  it('a key read rarely still leaves L1 at the end of its L1 life', async () => {
    const svc = await kit.cache({ l1: { max: 100, ttlMs: 200 }, defaultTtl: 60_000 });
    const c = svc.namespace('cold');
    await c.getOrLoad('k', async () => 'v');
    expect(c.peek('k')).toEqual({ value: 'v' });
    await sleep(300);
    expect(c.peek('k')).toBeUndefined();
  });

  it('a refresh asked for just before an invalidation does not put the old value back', async () => {
    const svc = await kit.cache({ l1: { max: 100, ttlMs: 400 }, defaultTtl: 60_000 });
    const c = svc.namespace('fresh');
    await c.getOrLoad('gone', async () => 'old');
    await sleep(320); // the last quarter of the L1 life
    expect(c.peek('gone')).toEqual({ value: 'old' }); // this hit asks for a refresh...
    await c.delete('gone'); // ...and an invalidation follows at once
    await sleep(100);
    expect(c.peek('gone')).toBeUndefined();
    expect(await c.getOrLoad('gone', async () => 'reloaded')).toBe('reloaded');
  });
});
