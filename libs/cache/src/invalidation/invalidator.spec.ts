import { CacheKit } from '../core/testing/kit.js';
import type { CacheService } from '../create-cache.js';
import type { RedisClient } from '../redis/connection.js';

describe('Invalidator (real Redis)', () => {
  const kit = new CacheKit('inval');
  let svc: CacheService;
  let raw: RedisClient;

  beforeAll(async () => {
    svc = await kit.cache({ defaultTtl: 30_000 });
    raw = await kit.client();
  });
  afterAll(() => kit.cleanup());

  const fill = async (ns: string, keys: (string | number)[][], tags?: string[]) => {
    const c = svc.namespace(ns);
    for (const k of keys) await c.getOrLoad(k, async () => `v-${k.join('-')}`, { tags });
  };

  it('by key: tombstone, then the next read loads again', async () => {
    await fill('k', [['a'], ['b']]);
    const c = svc.namespace('k');
    expect(await svc.invalidator.invalidateKey('k', ['a'])).toBe(true);
    expect(await c.get(['a'])).toBeUndefined();
    expect(await c.get(['b'])).toBe('v-b');
    expect(await raw.pttl(c.key(['a']))).toBeLessThanOrEqual(svc.invalidator.tombstoneTtl);
  });

  it('by tag: every tagged entry (and only those) is invalidated; the tag set is emptied', async () => {
    const ns = 'tags';
    const many = Array.from({ length: 1_200 }, (_, i) => ['p', i]);
    await fill(ns, many, ['cat-1']);
    await fill(ns, [['other']], ['cat-2']);
    const tagKey = svc.keys.tag(ns, 'cat-1');
    expect(await raw.scard(tagKey)).toBe(1_200);
    expect(await svc.invalidator.invalidateTag(ns, 'cat-1')).toBe(true);
    const c = svc.namespace(ns);
    expect(await c.mget(many.slice(0, 50))).toEqual(Array(50).fill(undefined));
    expect(await c.get(['p', 1_199])).toBeUndefined();
    expect(await c.get(['other'])).toBe('v-other');
    expect(await raw.scard(tagKey)).toBe(0);
  });

  it('tag sets get a TTL covering their entries', async () => {
    await svc.namespace('tagttl').getOrLoad('x', async () => 1, { ttl: 5_000, tags: ['t'] });
    const pttl = await raw.pttl(svc.keys.tag('tagttl', 't'));
    expect(pttl).toBeGreaterThan(5_000);
  });

  it('by namespace: O(1) version bump hides every entry of the namespace only', async () => {
    await fill('ns-a', [['1'], ['2']]);
    await fill('ns-b', [['1']]);
    const before = await raw.get(svc.keys.namespaceVersionKey('ns-a'));
    expect(await svc.invalidator.invalidateNamespace('ns-a')).toBe(true);
    expect(Number(await raw.get(svc.keys.namespaceVersionKey('ns-a')))).toBeGreaterThan(Number(before ?? 0));
    expect(await svc.namespace('ns-a').get(['1'])).toBeUndefined();
    expect(await svc.namespace('ns-b').get(['1'])).toBe('v-1');
    const loader = async () => 'reloaded';
    expect(await svc.namespace('ns-a').getOrLoad(['1'], loader)).toBe('reloaded');
    expect(await svc.namespace('ns-a').getOrLoad(['1'], async () => 'again')).toBe('reloaded');
  });

  it('by pattern: SCAN + UNLINK of matching entries only, in batches', async () => {
    const users = Array.from({ length: 700 }, (_, i) => ['user', 7, 'order', i]);
    await fill('pat', users);
    await fill('pat', [
      ['user', 8, 'order', 1],
      ['user', 70, 'order', 1],
      ['user', 7],
    ]);
    const n = await svc.invalidator.invalidatePattern('pat', ['user', 7]);
    expect(n).toBe(701);
    expect(await svc.namespace('pat').get(['user', 7])).toBeUndefined();
    expect(await svc.namespace('pat').get(['user', 7, 'order', 3])).toBeUndefined();
    expect(await svc.namespace('pat').get(['user', 8, 'order', 1])).toBe('v-user-8-order-1');
    expect(await svc.namespace('pat').get(['user', 70, 'order', 1])).toBe('v-user-70-order-1');
  });

  it('by raw glob within the prefix', async () => {
    await fill('glob', [['a1'], ['a2'], ['b1']]);
    const c = svc.namespace('glob');
    expect(await svc.invalidator.invalidateGlob('glob', `${svc.keys.prefix}:glob:v1:a*`)).toBe(2);
    expect(await c.get(['a1'])).toBeUndefined();
    expect(await c.get(['b1'])).toBe('v-b1');
  });

  it('refuses patterns outside its prefix', async () => {
    await expect(svc.invalidator.scanAndUnlink('*')).rejects.toThrow(/prefix/);
  });

  it('a reload racing a tag invalidation stays in the tag: the next invalidation of the tag reaches it', async () => {
    const own = await kit.cache({ defaultTtl: 30_000 });
    const c = own.namespace('tagrace');
    const opts = { tags: ['t'] };
    await c.getOrLoad('k', async () => 'v1', opts);
    // A reload runs while the invalidation is between its steps (at its SREM).
    const client = own.client as unknown as { srem: (...a: unknown[]) => Promise<number> };
    const srem = client.srem.bind(own.client);
    let raced = false;
    client.srem = async (...args: unknown[]) => {
      if (!raced) {
        raced = true;
        await c.getOrLoad('k', async () => 'v2', opts);
      }
      return srem(...args);
    };
    await c.invalidateTag('t');
    client.srem = srem;
    expect(raced).toBe(true);
    const current = await c.getOrLoad('k', async () => 'v3', opts);
    await c.invalidateTag('t');
    expect(await c.getOrLoad('k', async () => 'v4', opts)).not.toBe(current);
  });

  it('failed invalidations are never dropped: past the bound a namespace is invalidated whole', async () => {
    const { PendingInvalidations } = await import('./pending-invalidations.js');
    const p = new PendingInvalidations(3);
    p.addKeys('a', ['a1', 'a2']);
    p.addKeys('b', ['b1']);
    p.addKeys('a', ['a3']); // 4 keys > 3: namespace a (the largest) becomes one namespace invalidation
    expect(p.snapshot()).toEqual({ namespaces: ['a'], tags: [], keys: [['b', ['b1']]] });
    p.addKeys('a', ['a4']); // covered by the namespace invalidation
    p.addTag('a', 'x');
    expect(p.size).toBe(2);
    p.keysDone('b', ['b1']);
    p.namespaceDone('a');
    expect(p.size).toBe(0);
  });
});
