import { createCache, type CacheService } from '../create-cache.js';
import { createRedisConnection, waitForReady, type RedisClient } from '../redis/connection.js';
import { startRedisServer, type RedisServerHandle } from '../testing/redis-harness.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Redis out of memory under noeviction (as docker/redis/redis.conf runs it): writes refused, deletes allowed. */
describe('invalidation while Redis is out of memory', () => {
  let server: RedisServerHandle;
  let svc: CacheService;
  let raw: RedisClient;

  beforeAll(async () => {
    server = await startRedisServer({ args: ['--maxmemory', '64mb', '--maxmemory-policy', 'noeviction'] });
    svc = createCache({ redis: { url: server.url, commandTimeoutMs: 2_000 }, prefix: 'oom', defaultTtl: 600_000 });
    (svc.invalidator as unknown as { retryMs: number }).retryMs = 200;
    await svc.ready();
    raw = createRedisConnection({ url: server.url, commandTimeoutMs: 5_000 });
    await waitForReady(raw);
  });
  afterAll(async () => {
    await svc.close();
    raw.disconnect();
    await server.dispose();
  });

  /** Out of memory at once: the limit drops below what Redis uses (noeviction refuses every write that needs memory). */
  async function fillMemory(): Promise<void> {
    const info = await raw.info('memory');
    const used = Number(/used_memory:(\d+)/.exec(info)![1]);
    await raw.config('SET', 'maxmemory', String(used - 256 * 1024));
  }

  async function freeMemory(): Promise<void> {
    await raw.config('SET', 'maxmemory', '64mb');
  }

  it('delete(), tag invalidation and write-through still drop the old value', async () => {
    const c = svc.namespace('keys');
    await c.getOrLoad('k', async () => 'old');
    await c.getOrLoad('t', async () => 'old', { tags: ['tg'] });
    await c.getOrLoad('w', async () => 'old');
    await fillMemory();
    expect(await raw.set('probe', 'x').catch((e: Error) => e.message)).toMatch(/^OOM/);

    expect(await c.delete('k')).toBe(true);
    expect(await c.getOrLoad('k', async () => 'new')).toBe('new');

    expect(await c.invalidateTag('tg')).toBe(true);
    expect(await c.getOrLoad('t', async () => 'new')).toBe('new');

    const committed = await svc.writeThrough.write('w', 'new', async (v) => v, { namespace: 'keys' });
    expect(committed).toBe('new');
    expect(await c.getOrLoad('w', async () => 'reloaded')).not.toBe('old');
    await freeMemory();
  });

  it('an invalidation Redis refused is retried once memory is freed, without a reconnect', async () => {
    const c = svc.namespace('whole');
    await c.getOrLoad('k', async () => 'old');
    await fillMemory();
    expect(await c.invalidateAll()).toBe(false); // the version bump is a write: refused
    expect(svc.invalidator.pendingCount).toBeGreaterThan(0);
    const readyEvents: unknown[] = [];
    svc.client.on('ready', () => readyEvents.push(1));
    await freeMemory();
    const until = Date.now() + 5_000;
    while (svc.invalidator.pendingCount > 0 && Date.now() < until) await sleep(50);
    expect(svc.invalidator.pendingCount).toBe(0);
    expect(readyEvents).toHaveLength(0);
    expect(await c.getOrLoad('k', async () => 'new')).toBe('new');
  });
});
