import { CacheKit } from './testing/kit.js';

/** CacheAside keeps the Redis key strings of the keys its L1 serves; keys asked once are not hoarded. */
describe('CacheAside key cache', () => {
  const kit = new CacheKit('keycache');
  afterAll(() => kit.cleanup());

  it('a stream of keys asked once (l1: reread) keeps about a thousand key strings, not one per key up to the L1 size', async () => {
    const svc = await kit.cache({ l1: { max: 20_000, ttlMs: 60_000 }, defaultTtl: 60_000 });
    const lists = svc.namespace('pages', { defaults: { l1: 'reread' } });
    for (let i = 0; i < 3_000; i++) expect(await lists.getOrLoad(`q=${i}`, async () => i)).toBe(i);
    expect(lists.peek('q=2999')).toBeUndefined(); // read once: not in L1
    expect(lists.keyCacheSize()).toBeLessThanOrEqual(1_024);
  });

  it('keeps the keys of every entry L1 holds, past the minimum, so hot reads find their key string', async () => {
    const svc = await kit.cache({ l1: { max: 20_000, ttlMs: 60_000 }, defaultTtl: 60_000 });
    const products = svc.namespace('items');
    for (let i = 0; i < 2_500; i++) await products.getOrLoad(i, async () => ({ id: i }));
    // L1 holds (nearly) every entry. It skips a write for safety when the store to Redis failed or an
    // invalidation raced the load, which a loaded machine sharing Redis with other suites can cause.
    const held = Array.from({ length: 2_500 }, (_, i) => i).filter((i) => products.peek(i) !== undefined);
    expect(held.length).toBeGreaterThan(2_400);
    expect(products.peek(held[held.length - 1])).toEqual({ value: { id: held[held.length - 1] } });
    // Bound: twice the entries L1 holds (at least 1,024), over 4,800, so none of the 2,500 was cleared.
    expect(products.keyCacheSize()).toBe(2_500);
  });

  it('without L1, getMany takes its keys from the cache, bounded by the minimum', async () => {
    const svc = await kit.cache({ defaultTtl: 60_000 });
    const ns = svc.namespace('batches');
    const batch = Array.from({ length: 100 }, (_, i) => `p${i}`);
    const load = async (ks: readonly unknown[]) => ks.map((k) => `v-${String(k)}`);
    expect(await ns.getMany(batch, load)).toEqual(batch.map((k) => `v-${k}`));
    expect(await ns.getMany(batch, load)).toEqual(batch.map((k) => `v-${k}`));
    expect(ns.keyCacheSize()).toBe(100); // the second batch found every key string
    for (let i = 0; i < 30; i++)
      await ns.getMany(
        Array.from({ length: 100 }, (_, j) => `q${i}-${j}`),
        load,
      );
    expect(ns.keyCacheSize()).toBeLessThanOrEqual(1_024);
  });
});
