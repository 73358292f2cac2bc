import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createCache, type CacheService } from '../create-cache.js';
import { createRedisConnection, waitForReady, type RedisClient } from '../redis/connection.js';
import { REDIS_CLI_BIN } from '../testing/redis-process.js';
import { startRedisServer, type RedisServerHandle } from '../testing/redis-harness.js';

const run = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 3_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(2);
  }
}

/** Writes made outside the library (redis-cli, another service) drop the entry from every L1. */
describe('server-assisted L1 invalidation (CLIENT TRACKING)', () => {
  let server: RedisServerHandle;
  let a: CacheService;
  let b: CacheService;
  let outside: RedisClient;

  /**
   * Loads `key` into L1. Redis 7.0 reports writes made by our own scripts despite NOLOOP, so the
   * entry a load stored can be dropped once by that report; the next read fills L1 again.
   */
  async function warm(c: ReturnType<CacheService['namespace']>, key: string | number, value: unknown): Promise<void> {
    await c.getOrLoad(key, async () => value);
    await eventually(async () => {
      await c.getOrLoad(key, async () => value);
      await sleep(5);
      return c.peek(key) !== undefined;
    });
  }

  beforeAll(async () => {
    server = await startRedisServer();
    const opts = {
      redis: { url: server.url, commandTimeoutMs: 2_000 },
      prefix: 'trk',
      l1: { max: 1_000, ttlMs: 60_000 },
      defaultTtl: 60_000,
    };
    a = createCache(opts);
    b = createCache(opts);
    await Promise.all([a.ready(), b.ready()]);
    outside = createRedisConnection({ url: server.url, commandTimeoutMs: 2_000 });
    await waitForReady(outside);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    outside.disconnect();
    await server.dispose();
  });

  it('a redis-cli write drops the entry from the L1 of every instance', async () => {
    const ca = a.namespace('cli');
    const cb = b.namespace('cli');
    await eventually(() => a.bus!.trackingOn && b.bus!.trackingOn);
    await warm(ca, 'k', 'v1');
    await warm(cb, 'k', 'unexpected');
    expect(ca.peek('k')).toEqual({ value: 'v1' });
    expect(cb.peek('k')).toEqual({ value: 'v1' });
    await run(REDIS_CLI_BIN, ['-h', server.host, '-p', String(server.port), 'DEL', ca.key('k')]);
    await eventually(() => ca.peek('k') === undefined && cb.peek('k') === undefined);
    expect(await ca.getOrLoad('k', async () => 'v2')).toBe('v2');
  });

  it('namespaces first used one after another in quick succession are all tracked (registrations never overlap)', async () => {
    const errors: unknown[] = [];
    const c = createCache({
      redis: { url: server.url, commandTimeoutMs: 2_000 },
      prefix: 'trk2',
      l1: { max: 100, ttlMs: 60_000 },
      onError: (e) => errors.push(e),
    });
    try {
      await c.ready();
      await warm(c.namespace('n0'), 'k', 'n0');
      await eventually(() => c.bus!.trackingOn);
      // Each first use re-registers tracking (OFF, then ON with every prefix); these overlap in time.
      const names = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'];
      const loads: Promise<unknown>[] = [];
      for (const n of names) {
        loads.push(c.namespace(n).getOrLoad('k', async () => n));
        await new Promise((r) => setImmediate(r));
      }
      await Promise.all(loads);
      await eventually(() => c.bus!.trackingOn);
      for (const n of names) await warm(c.namespace(n), 'k', n);
      for (const n of names) await outside.set(c.namespace(n).key('k'), 'changed outside');
      await eventually(() => names.every((n) => c.namespace(n).peek('k') === undefined));
      expect(errors.map((e) => (e as Error).message)).toEqual([]);
    } finally {
      await c.close();
    }
  });

  it('an entry a load just stored stays in L1: the report of our own script write is not taken for an outside write', async () => {
    const ca = a.namespace('echo');
    await eventually(() => a.bus!.trackingOn);
    await ca.getOrLoad('warmup', async () => 0); // the namespace is tracked from here on
    await eventually(() => a.bus!.trackingOn);
    for (let i = 0; i < 20; i++) {
      await ca.getOrLoad(i, async () => i);
      await sleep(20); // time for any report to arrive
      expect(ca.peek(i)).toEqual({ value: i });
    }
  });

  it('our own plain writes go through the bus only (NOLOOP): no tracking message for them', async () => {
    const ca = a.namespace('own');
    await eventually(() => a.bus!.trackingOn);
    await warm(ca, 'k', 'v1');
    await sleep(50);
    const before = a.bus!.trackedInvalidations;
    await ca.set('k', 'v2');
    await sleep(100);
    expect(a.bus!.trackedInvalidations).toBe(before);
    expect(await b.namespace('own').getOrLoad('k', async () => 'x')).toBe('v2');
  });

  it('keeps tracking after the cache connection reconnects, and flushes what it may have missed meanwhile', async () => {
    const ca = a.namespace('reconnect');
    await warm(ca, 'k', 'v1');
    const id = await a.client.client('ID');
    const reconnected = new Promise((r) => a.client.once('ready', r));
    await outside.client('KILL', 'ID', String(id));
    await reconnected;
    expect(ca.peek('k')).toBeUndefined(); // outside writes during the gap were not reported
    await eventually(() => a.bus!.trackingOn && !a.l1!.suspended, 5_000);
    await warm(ca, 'k', 'v1');
    await outside.unlink(ca.key('k'));
    await eventually(() => ca.peek('k') === undefined);
  });

  it('a FLUSHDB empties L1', async () => {
    const ca = a.namespace('flush');
    await eventually(() => a.bus!.trackingOn);
    await warm(ca, 'k', 'v1');
    await outside.flushdb();
    await eventually(() => ca.peek('k') === undefined);
  });

  it('measures the delay from an outside write to the L1 eviction', async () => {
    const ca = a.namespace('delay');
    await ca.getOrLoad(0, async () => 0);
    await eventually(() => a.bus!.trackingOn);
    const delays: number[] = [];
    for (let i = 0; i < 200; i++) {
      await warm(ca, i, i);
      expect(ca.peek(i)).toEqual({ value: i });
      const start = process.hrtime.bigint();
      await outside.set(ca.key(i), 'changed outside');
      await eventually(() => ca.peek(i) === undefined);
      delays.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    delays.sort((x, y) => x - y);
    const p = (q: number): string => delays[Math.min(delays.length - 1, Math.floor(q * delays.length))].toFixed(2);
    console.log(`outside write → L1 eviction over ${delays.length} writes: p50 ${p(0.5)} ms, p99 ${p(0.99)} ms`);
    expect(delays).toHaveLength(200);
  });
});
