import { createCache } from '../create-cache.js';
import { startRedisServer } from '../testing/redis-harness.js';
import { CacheKit } from './testing/kit.js';

describe('WriteThrough', () => {
  const kit = new CacheKit('wt');
  afterAll(() => kit.cleanup());

  it('persists first, then caches the committed value returned by persist', async () => {
    const svc = await kit.cache();
    const order: string[] = [];
    const committed = await svc.writeThrough.write(
      ['product', 1],
      { name: 'draft' },
      async (v) => {
        order.push('persist');
        return { ...v, id: 1, updatedAt: new Date(1_000) };
      },
      { namespace: 'products', ttl: 10_000 },
    );
    expect(committed).toEqual({ name: 'draft', id: 1, updatedAt: new Date(1_000) });
    const cached = await svc.namespace('products').getOrLoad(['product', 1], async () => {
      order.push('loader');
      return null;
    });
    expect(cached).toEqual(committed);
    expect(order).toEqual(['persist']);
  });

  it('does not touch the cache when persist fails', async () => {
    const svc = await kit.cache();
    await svc.cache.set('k', 'before');
    await expect(svc.writeThrough.write('k', 'after', async () => Promise.reject(new Error('constraint')))).rejects.toThrow('constraint');
    expect(await svc.cache.get('k')).toBe('before');
  });

  it('deletes the key when caching the committed value fails (never leaves it stale)', async () => {
    const svc = await kit.cache();
    await svc.cache.set('k', 'old');
    // A committed value the serializer cannot encode makes the cache write fail.
    const committed = await svc.writeThrough.write('k', 'new', async () => ({ n: 1n }));
    expect(committed).toEqual({ n: 1n });
    expect(await svc.cache.get('k')).toBeUndefined();
    expect(await svc.cache.getOrLoad('k', async () => 'from-db')).toBe('from-db');
  });

  it('fail-open: when Redis is down the write succeeds and the invalidation is replayed later', async () => {
    const server = await startRedisServer();
    const svc = createCache({ redis: { url: server.url, commandTimeoutMs: 200 }, prefix: 'wt' });
    try {
      await svc.ready();
      await svc.cache.set('k', 'old');
      await server.kill();
      await server.start(); // empty Redis: simulate "old value still there" by writing it again below
      const deadline = Date.now() + 10_000;
      while (svc.client.status !== 'ready' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await svc.cache.set('k', 'old');
      await server.stop();
      expect(await svc.writeThrough.write('k', 'new', async (v) => v)).toBe('new');
      expect(svc.invalidator.pendingCount).toBeGreaterThan(0);
    } finally {
      await svc.close();
      await server.dispose();
    }
  }, 30_000);
});
