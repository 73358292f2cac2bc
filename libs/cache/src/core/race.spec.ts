import { CacheKit, deferred, sleep } from './testing/kit.js';
import type { CacheService } from '../create-cache.js';

/**
 * A load that started before an invalidation must never make the old value visible after the
 * invalidation returned: neither through its store nor through in-process single-flight.
 */
describe('invalidation racing a slow load', () => {
  const kit = new CacheKit('race');
  let a: CacheService;
  let b: CacheService;

  beforeAll(async () => {
    a = await kit.cache({ defaultTtl: 30_000 });
    b = await kit.cache({ defaultTtl: 30_000 }); // a second instance on the same Redis
  });
  afterAll(() => kit.cleanup());

  async function raceWith(ns: string, invalidate: () => Promise<unknown>): Promise<void> {
    const cache = a.namespace(ns);
    let db = 'old';
    const gate = deferred();
    const readSource = deferred();
    const slow = cache.getOrLoad('item', async () => {
      const snapshot = db; // read the source, then stall
      readSource.resolve();
      await gate.promise;
      return snapshot;
    });
    await readSource.promise;
    db = 'new';
    await invalidate();
    // After the invalidation returned, callers on both instances must see the new value.
    const [sameProcess, otherInstance] = await Promise.all([
      cache.getOrLoad('item', async () => db),
      b.namespace(ns).getOrLoad('item', async () => db),
    ]);
    gate.resolve();
    expect(await slow).toBe('old'); // the caller that started earlier may see the old value
    expect(sameProcess).toBe('new');
    expect(otherInstance).toBe('new');
    await sleep(50); // the slow load has tried to store by now
    expect(await cache.getOrLoad('item', async () => 'loader-should-not-run')).toBe('new');
    expect(await b.namespace(ns).getOrLoad('item', async () => 'loader-should-not-run')).toBe('new');
  }

  it('key invalidation', () => raceWith('race-key', () => a.namespace('race-key').delete('item')));

  it('key invalidation from another instance', () => raceWith('race-key2', () => b.invalidator.invalidateKey('race-key2', 'item')));

  it('namespace invalidation', () => raceWith('race-ns', () => a.invalidator.invalidateNamespace('race-ns')));

  it('namespace invalidation from another instance', () => raceWith('race-ns2', () => b.namespace('race-ns2').invalidateAll()));

  it('tag invalidation', async () => {
    const cache = a.namespace('race-tag');
    let db = 'old';
    const gate = deferred();
    const readSource = deferred();
    const slow = cache.getOrLoad(
      'item',
      async () => {
        const snapshot = db;
        readSource.resolve();
        await gate.promise;
        return snapshot;
      },
      { tags: ['t1'] },
    );
    await readSource.promise;
    db = 'new';
    await b.invalidator.invalidateTag('race-tag', 't1');
    gate.resolve();
    expect(await slow).toBe('old');
    await sleep(30);
    expect(await cache.getOrLoad('item', async () => db, { tags: ['t1'] })).toBe('new');
  });

  it('a write racing a slow load: the committed write wins', async () => {
    const cache = a.namespace('race-write');
    const gate = deferred();
    const readSource = deferred();
    const slow = cache.getOrLoad('item', async () => {
      readSource.resolve();
      await gate.promise;
      return 'old';
    });
    await readSource.promise;
    await b.writeThrough.write('item', 'new', async (v) => v, { namespace: 'race-write' });
    gate.resolve();
    await slow;
    await sleep(30);
    expect(await cache.get('item')).toBe('new');
  });
});
