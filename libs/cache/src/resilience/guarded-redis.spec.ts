import { Redis } from 'ioredis';
import { createCache, type CacheService } from '../create-cache.js';
import { sleep } from '../core/testing/kit.js';
import { closeConnection, createRedisConnection, waitForReady, type RedisClient } from '../redis/connection.js';
import { startRedisServer, type RedisServerHandle } from '../testing/redis-harness.js';
import { watchSocketWrites } from '../testing/socket-writes.js';
import { CacheTimeoutError, CircuitBreaker } from './circuit-breaker.js';
import { GuardedRedis } from './guarded-redis.js';

/** The hot path of GuardedRedis: shared deadline queue (no per-command timer) and coalesced writes. */
describe('GuardedRedis hot path (private Redis)', () => {
  let server: RedisServerHandle;
  let admin: RedisClient;
  const clients: RedisClient[] = [];
  const caches: CacheService[] = [];

  beforeAll(async () => {
    server = await startRedisServer();
    admin = createRedisConnection({ url: server.url, commandTimeoutMs: 5_000 });
    await waitForReady(admin);
  });

  afterEach(async () => {
    await Promise.all(caches.splice(0).map((c) => c.close()));
    await Promise.all(clients.splice(0).map((c) => closeConnection(c)));
  });

  afterAll(async () => {
    await closeConnection(admin);
    await server.dispose();
  });

  async function client(commandTimeoutMs?: number): Promise<RedisClient> {
    const c =
      commandTimeoutMs === undefined
        ? new Redis(server.url, { enableOfflineQueue: false })
        : createRedisConnection({ url: server.url, commandTimeoutMs });
    c.on('error', () => {});
    clients.push(c);
    await waitForReady(c);
    return c;
  }

  /**
   * Redis holds every command (the connection stays up) for ms; resolves to a function that waits
   * until the pause is over (CLIENT UNPAUSE would be held too).
   */
  async function pause(ms: number): Promise<() => Promise<void>> {
    const until = Date.now() + ms;
    await admin.call('CLIENT', 'PAUSE', ms, 'ALL');
    return () => sleep(Math.max(0, until - Date.now()) + 50);
  }

  it.each([
    ['the client commandTimeout', 150, undefined],
    ['timeoutMs (client without commandTimeout)', undefined, 150],
  ])('fails a command that outlives %s, not before it, and drains the queue', async (_label, commandTimeoutMs, timeoutMs) => {
    const c = await client(commandTimeoutMs);
    const errors: unknown[] = [];
    const counters = { errors: 0 };
    const g = new GuardedRedis(c, new CircuitBreaker({ failureThreshold: 100 }), { timeoutMs, onError: (e) => errors.push(e) });
    await c.set('gr:k', 'v');

    expect(g.admit()).toBe(true);
    await expect(g.command('get', ['gr:k'], false)).resolves.toBe('v');
    g.succeeded();
    expect(g.pendingDeadlines).toBe(0);

    // Redis stays paused for 2 s: returning well before that proves the deadline, not Redis, ended the call.
    const resumed = await pause(2_000);
    const started = Date.now();
    expect(g.admit()).toBe(true);
    const err = await g.command('get', ['gr:k'], false).catch((e: unknown) => e);
    const took = Date.now() - started;
    g.failed(err, counters);
    expect(err).toBeInstanceOf(CacheTimeoutError); // ours, not ioredis' own "Command timed out"
    expect(took).toBeGreaterThanOrEqual(130); // 150 ms, less the loop-time staleness any Node timer has
    expect(took).toBeLessThan(1_800);
    expect(counters.errors).toBe(1);
    expect(errors).toEqual([err]);
    expect(g.pendingDeadlines).toBe(0);

    await resumed();
    expect(g.admit()).toBe(true);
    await expect(g.command('mget', ['gr:k', 'gr:none'], false)).resolves.toEqual(['v', null]);
    g.succeeded();
    expect(g.pendingDeadlines).toBe(0);
  });

  it('many commands in one tick (coalesced into one write) keep their order and answers', async () => {
    const c = await client(5_000); // 600 commands on a busy machine (the whole suite running) can take over a second
    const g = new GuardedRedis(c, new CircuitBreaker());
    const other = c as Redis;
    const pipe = other.pipeline();
    for (let i = 0; i < 300; i++) pipe.set(`gr:o:${i}`, `v${i}`);
    await pipe.exec();
    // Guarded commands and ordinary ones from other users of the client, interleaved in one tick.
    const writes = watchSocketWrites(other);
    const guarded: Promise<unknown>[] = [];
    const plain: Promise<unknown>[] = [];
    for (let i = 0; i < 300; i++) {
      expect(g.admit()).toBe(true);
      guarded.push(g.command('mget', [`gr:o:${i}`, `gr:o:${299 - i}`], i % 2 === 0));
      plain.push(other.get(`gr:o:${(i * 7) % 300}`));
    }
    const got = await Promise.all(guarded);
    g.succeeded();
    writes.restore();
    expect([writes.write, writes.writev]).toEqual([0, 1]); // 600 commands, one socket write
    got.forEach((r, i) => {
      const [a, b] = (r as (string | Buffer)[]).map(String);
      expect([a, b]).toEqual([`v${i}`, `v${299 - i}`]);
    });
    expect(await Promise.all(plain)).toEqual(plain.map((_, i) => `v${(i * 7) % 300}`));
    expect(g.pendingDeadlines).toBe(0);
  });

  it('commands from separate callbacks of one event-loop turn share one write (like requests read in one poll)', async () => {
    const c = await client(1_000);
    const g = new GuardedRedis(c, new CircuitBreaker());
    await c.set('gr:turn', 'x');
    const writes = watchSocketWrites(c as Redis);
    try {
      // Ten macrotasks queued for the same check phase, each sending its own command.
      const replies = await Promise.all(
        Array.from(
          { length: 10 },
          () => new Promise<unknown>((resolve) => setImmediate(() => (g.admit(), resolve(g.command('get', ['gr:turn'], false))))),
        ),
      );
      g.succeeded();
      expect(replies).toEqual(Array(10).fill('x'));
      expect(writes.total).toBe(1);
    } finally {
      writes.restore();
    }
  });

  it('coalesceWrites: false sends each command at once', async () => {
    const c = await client(1_000);
    const g = new GuardedRedis(c, new CircuitBreaker(), { coalesceWrites: false });
    await c.set('gr:nc', 'x');
    const all = Array.from({ length: 20 }, () => (g.admit(), g.command('get', ['gr:nc'], false)));
    expect(await Promise.all(all)).toEqual(all.map(() => 'x'));
  });

  it.each([
    ['a client with a key prefix', 'grprefix', { keyPrefix: 'pfx:' }],
    ['a client with auto-pipelining', 'grpipelined', { enableAutoPipelining: true }],
    ['a client with friendly error stacks', 'grstacks', { showFriendlyErrorStack: true }],
  ])('reads through %s like its own command methods', async (_label, prefix, extra) => {
    const c = new Redis(server.url, { enableOfflineQueue: false, commandTimeout: 1_000, ...extra });
    clients.push(c);
    await waitForReady(c);
    const svc = createCache({ redis: c, prefix });
    caches.push(svc);
    const calls = { n: 0 };
    const load = async () => ({ n: ++calls.n });
    expect(await svc.cache.getOrLoad('k', load)).toEqual({ n: 1 });
    const hits = await Promise.all(Array.from({ length: 5 }, () => svc.cache.getOrLoad('k', load)));
    expect(hits).toEqual(Array(5).fill({ n: 1 }));
    expect(calls.n).toBe(1);
    expect(await admin.exists(((extra as { keyPrefix?: string }).keyPrefix ?? '') + svc.cache.key('k'))).toBe(1);
    expect(svc.stats.snapshot().totals).toMatchObject({ hits: 5, misses: 1, errors: 0 });
    await svc.invalidator.invalidateKey('default', 'k');
    expect(await svc.cache.getOrLoad('k', load)).toEqual({ n: 2 });
  });

  it('getOrLoad fails open at the deadline while Redis stalls, counts the error, and hits again afterwards', async () => {
    const svc = createCache({ redis: { url: server.url, commandTimeoutMs: 150 }, prefix: 'grstall', breaker: { failureThreshold: 100 } });
    caches.push(svc);
    await svc.ready();
    expect(await svc.cache.getOrLoad('k', () => 'cached')).toBe('cached');
    expect(await svc.cache.getOrLoad('k', () => 'not-called')).toBe('cached');

    const resumed = await pause(2_000);
    const started = Date.now();
    const during = await Promise.all(Array.from({ length: 10 }, () => svc.cache.getOrLoad('k', () => 'loader')));
    expect(during).toEqual(Array(10).fill('loader'));
    expect(Date.now() - started).toBeLessThan(1_800); // answered by the loaders while Redis was still paused
    expect(svc.stats.snapshot().totals.errors).toBeGreaterThanOrEqual(10);

    await resumed();
    const hitsBefore = svc.stats.snapshot().totals.hits;
    expect(await svc.cache.getOrLoad('k', () => 'not-called')).toBe('cached');
    expect(svc.stats.snapshot().totals.hits).toBe(hitsBefore + 1);
    expect(svc.breaker.state).toBe('closed');
  });
});
