import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Cluster, Redis } from 'ioredis';
import { createCache, type CacheService } from '../create-cache.js';
import { closeConnection, createRedisConnection, waitForReady } from '../redis/connection.js';
import { REDIS_CLI_BIN } from '../testing/redis-process.js';
import { startRedisCluster, type RedisClusterHandle } from '../testing/redis-harness.js';

const run = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(2);
  }
}

type Ns = ReturnType<CacheService['namespace']>;

/** Writes made outside the library reach every instance's L1 from every master of a cluster. */
describe('server-assisted L1 invalidation on a Redis Cluster (per master)', () => {
  let cluster: RedisClusterHandle;
  let a: CacheService;
  let b: CacheService;
  let outside: Cluster;

  /** The master serving `key`, as host:port. */
  const nodeOf = async (key: string): Promise<string> => outside.slots[Number(await outside.cluster('KEYSLOT', key))][0];

  /** One key id per master, for namespace `ns`, with the master each lives on. */
  async function keyPerMaster(ns: Ns): Promise<{ id: string; node: string }[]> {
    const found = new Map<string, string>();
    for (let i = 0; found.size < 3 && i < 1_000; i++) {
      const node = await nodeOf(ns.key(`k${i}`));
      if (!found.has(node)) found.set(node, `k${i}`);
    }
    return [...found].map(([node, id]) => ({ id, node }));
  }

  /**
   * Loads `id` into L1. Redis 7.0 reports writes made by our own scripts despite NOLOOP; the entry
   * a load stored must survive that report (it is noted as our own write).
   */
  async function warm(ns: Ns, id: string, value: unknown): Promise<void> {
    await ns.getOrLoad(id, async () => value);
    await eventually(async () => {
      await ns.getOrLoad(id, async () => value);
      return ns.peek(id) !== undefined;
    });
  }

  /** Our connection (the cluster client's) to master `node`, which holds the tracking registration. */
  const dataConnection = (svc: CacheService, node: string): Redis =>
    (svc.cacheClient as Cluster).nodes('master').find((r) => `${r.options.host}:${r.options.port}` === node)!;

  const serving = (svc: CacheService): boolean => svc.bus!.trackingOn && !svc.l1!.suspended;

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
    const opts = {
      redis: { nodes: cluster.nodes, commandTimeoutMs: 2_000 },
      prefix: 'sac',
      l1: { max: 1_000, ttlMs: 60_000 },
      defaultTtl: 60_000,
    };
    a = createCache(opts);
    b = createCache(opts);
    outside = createRedisConnection({ nodes: cluster.nodes, commandTimeoutMs: 2_000 }) as Cluster;
    await Promise.all([a.ready(15_000), b.ready(15_000), waitForReady(outside, 15_000)]);
    await eventually(() => serving(a) && serving(b), 15_000);
  }, 60_000);

  afterAll(async () => {
    await a?.close();
    await b?.close();
    if (outside) await closeConnection(outside);
    await cluster?.stop();
  });

  it('a SET from another cluster client drops the entry from both instances, on every master', async () => {
    const [ca, cb] = [a.namespace('set'), b.namespace('set')];
    const keys = await keyPerMaster(ca);
    expect(keys).toHaveLength(3);
    await eventually(() => serving(a) && serving(b));
    for (const { id } of keys) {
      await warm(ca, id, 'v1');
      await warm(cb, id, 'v1');
    }
    await sleep(50); // any report of our own stores has arrived: they are still in L1
    for (const { id } of keys) expect([ca.peek(id), cb.peek(id)]).toEqual([{ value: 'v1' }, { value: 'v1' }]);
    for (const { id } of keys) {
      await outside.set(ca.key(id), 'changed outside');
      await eventually(() => ca.peek(id) === undefined && cb.peek(id) === undefined, 2_000);
    }
  });

  it('redis-cli -c writes (redirected to each master) drop the entries from both instances', async () => {
    const [ca, cb] = [a.namespace('cli'), b.namespace('cli')];
    const keys = await keyPerMaster(ca);
    await eventually(() => serving(a) && serving(b));
    for (const { id } of keys) {
      await warm(ca, id, 'v1');
      await warm(cb, id, 'v1');
    }
    const entry = cluster.nodes[0];
    for (const { id } of keys) {
      await run(REDIS_CLI_BIN, ['-c', '-h', entry.host, '-p', String(entry.port), 'SET', ca.key(id), 'cli']);
      await eventually(() => ca.peek(id) === undefined && cb.peek(id) === undefined, 2_000);
    }
    await run(REDIS_CLI_BIN, ['-c', '-h', entry.host, '-p', String(entry.port), 'DEL', ...keys.slice(0, 1).map((k) => ca.key(k.id))]);
  });

  it('measures the delay from an outside write to the eviction from both L1s', async () => {
    const [ca, cb] = [a.namespace('delay'), b.namespace('delay')];
    await eventually(() => serving(a) && serving(b));
    const delays: number[] = [];
    const masters = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const id = `d${i}`;
      masters.add(await nodeOf(ca.key(id)));
      await warm(ca, id, i);
      await warm(cb, id, i);
      const start = process.hrtime.bigint();
      await outside.set(ca.key(id), 'changed outside');
      const end = Date.now() + 2_000;
      while (ca.peek(id) !== undefined || cb.peek(id) !== undefined) {
        if (Date.now() > end) throw new Error(`${id} still in L1`);
        await tick();
      }
      delays.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    expect(masters.size).toBe(3);
    delays.sort((x, y) => x - y);
    const p = (q: number): string => delays[Math.min(delays.length - 1, Math.floor(q * delays.length))].toFixed(2);
    console.log(
      `cluster: outside write → eviction from both L1s over ${delays.length} writes on 3 masters: p50 ${p(0.5)} ms, p99 ${p(0.99)} ms`,
    );
  });

  it('a lost subscriber on one master suspends L1; it serves again, empty, once that master reports again', async () => {
    const ca = a.namespace('lostsub');
    const { id, node } = (await keyPerMaster(ca))[0];
    await eventually(() => serving(a));
    await warm(ca, id, 'v1');
    const data = dataConnection(a, node);
    const subscriberId = Number(await data.call('CLIENT', 'GETREDIR'));
    expect(subscriberId).toBeGreaterThan(0);
    const flushes = a.bus!.lossFlushes;
    await data.call('CLIENT', 'KILL', 'ID', String(subscriberId));
    await eventually(() => a.l1!.suspended);
    expect(a.bus!.lossFlushes).toBe(flushes + 1);
    expect(ca.peek(id)).toBeUndefined();
    // Unreported while the subscriber is away: L1 must not answer the old value meanwhile or later.
    await outside.del(ca.key(id));
    expect(await ca.getOrLoad(id, async () => 'v2')).toBe('v2');
    await eventually(() => serving(a));
    expect(Number(await data.call('CLIENT', 'GETREDIR'))).not.toBe(subscriberId);
    expect(await ca.getOrLoad(id, async () => 'v3')).toBe('v2');
    await warm(ca, id, 'v2');
    await outside.del(ca.key(id));
    await eventually(() => ca.peek(id) === undefined, 2_000);
  });

  it('a lost cache connection to one master flushes L1, and that master reports again after the reconnect', async () => {
    const ca = a.namespace('lostdata');
    const { id, node } = (await keyPerMaster(ca))[1];
    await eventually(() => serving(a));
    await warm(ca, id, 'v1');
    const dataId = Number(await dataConnection(a, node).client('ID'));
    const flushes = a.bus!.lossFlushes;
    await outside
      .nodes('master')
      .find((r) => `${r.options.host}:${r.options.port}` === node)!
      .call('CLIENT', 'KILL', 'ID', String(dataId));
    await eventually(() => a.bus!.lossFlushes > flushes);
    await outside.del(ca.key(id)); // possibly before the registration is back: unreported
    await eventually(() => serving(a));
    expect(ca.peek(id)).toBeUndefined();
    expect(await ca.getOrLoad(id, async () => 'v2')).toBe('v2');
    await warm(ca, id, 'v2');
    await outside.set(ca.key(id), 'changed outside');
    await eventually(() => ca.peek(id) === undefined, 2_000);
  });
});
