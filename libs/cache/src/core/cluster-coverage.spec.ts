import 'reflect-metadata';
import { CACHE_MANAGER, CacheModule as NestCacheModule, type Cache } from '@nestjs/cache-manager';
import { Test } from '@nestjs/testing';
import { trace } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { createCache as createCacheManager } from 'cache-manager';
import type { Cluster, Redis } from 'ioredis';
import { Keyv } from 'keyv';
import { Registry } from 'prom-client';
import { cacheManagerStore, keyvStore } from '../adapters/keyv-store.js';
import { createCache, type CacheService, type CreateCacheOptions } from '../create-cache.js';
import { CacheHealthIndicator } from '../nest/cache-health.indicator.js';
import { clearCacheForDecorators, setCacheForDecorators } from '../nest/decorator-registry.js';
import { CacheEvict, CachePut, Cacheable } from '../nest/method-decorators.js';
import { closeConnection, createRedisConnection, waitForReady } from '../redis/connection.js';
import { registerCacheMetrics } from '../stats/prometheus.js';
import { registerOpenTelemetryMetrics } from '../telemetry/open-telemetry.js';
import { ClusterPlacement } from '../testing/cluster-placement.js';
import { startRedisCluster, type RedisClusterHandle } from '../testing/redis-harness.js';
import { CollectingReader, recordingProvider, type RecordedSpan } from '../testing/telemetry-recorders.js';
import { CacheKit, sleep } from './testing/kit.js';

/**
 * The capabilities of libs/cache that the other cluster specs (cluster.spec.ts,
 * cluster-failures.spec.ts, server-assisted-cluster.spec.ts, load-lock-crash.spec.ts,
 * testing/primitives-on-cluster.spec.ts) leave out, on a private 3-master Redis Cluster:
 * L1 coherence when bus messages are lost (l1/message-loss.spec.ts), the cache-manager / Keyv
 * store (adapters/*.spec.ts), OpenTelemetry (telemetry/open-telemetry.spec.ts), and the cheap ones
 * of the remaining public API (method decorators, Prometheus, health indicator, write-through with
 * L1, glob invalidation, JSON serializer). Every case runs under a prefix of its own.
 *
 * Still without a cluster test after this file (see the report of the commit's author):
 * - the Nest CacheModule / HttpCacheInterceptor (nest/cache.module.spec.ts) on cluster nodes;
 * - the circuit breaker and outage behaviour with one master down (resilience/*.spec.ts: only
 *   "every node stopped" is covered, in cluster-failures.spec.ts);
 * - soft-tags.spec.ts' finer cases (50 concurrent callers in grace, a load racing a hard O(1)
 *   invalidation, get()/mget() reading tags) — cluster.spec.ts covers soft/hard basics only;
 * - a separate `cacheRedis` connection, `keyVersion` bumps, `coalesceWrites` (standalone only by
 *   design), stampede.spec.ts' cross-process stampede, race.spec.ts.
 */

/** Internals a test reaches into to make a bus message go missing, or to find the subscriber. */
type BusInternals = { seq: number; beat(): Promise<void>; subscriber: Cluster; subscribed: boolean };
const internals = (svc: CacheService): BusInternals => svc.bus as unknown as BusInternals;

/** The one connection ioredis' Cluster uses for SUBSCRIBE (ClusterSubscriber, to a random node). */
function busSubscriberConnection(svc: CacheService): Redis | null {
  const sub = internals(svc).subscriber as unknown as { subscriber: { getInstance(): Redis | null } };
  return sub.subscriber.getInstance();
}

const spans: RecordedSpan[] = [];

describe('libs/cache capabilities on a Redis Cluster (3 masters)', () => {
  let cluster: RedisClusterHandle;
  /** A plain cluster client: "another service" writing outside the library, and the test's eyes. */
  let outside: Cluster;
  let placement: ClusterPlacement;
  const open: CacheService[] = [];
  let prefixSeq = 0;

  beforeAll(async () => {
    trace.setGlobalTracerProvider(recordingProvider(spans));
    cluster = await startRedisCluster({ masters: 3 });
    outside = createRedisConnection({ nodes: cluster.nodes, commandTimeoutMs: 5_000 }) as Cluster;
    await waitForReady(outside, 15_000);
    placement = await ClusterPlacement.of(outside);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(open.map((s) => s.close()));
    if (outside) await closeConnection(outside);
    await cluster?.stop();
  });

  async function make(prefix: string, opts: Partial<CreateCacheOptions> = {}): Promise<CacheService> {
    const svc = createCache({ redis: { nodes: cluster.nodes, commandTimeoutMs: 2_000 }, prefix, openTelemetry: false, ...opts });
    open.push(svc);
    await svc.ready(15_000);
    return svc;
  }

  const newPrefix = (label: string) => `cc${++prefixSeq}-${label}`;

  const portOf = (key: string): Promise<number> => placement.portOf(key);
  const master = (port: number): Redis => placement.master(port);

  /** One name `${base}${i}` per master, `full` giving the Redis key of a name. */
  async function namePerMaster(full: (name: string) => string, base: string): Promise<string[]> {
    const found = new Map<number, string>();
    for (let i = 0; found.size < 3 && i < 1_000; i++) {
      const port = await portOf(full(`${base}${i}`));
      if (!found.has(port)) found.set(port, `${base}${i}`);
    }
    expect(found.size).toBe(3);
    return [...found.values()];
  }

  async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > end) throw new Error('condition not met in time');
      await sleep(10);
    }
  }

  /**
   * The Redis client id of `svc`'s bus subscriber connection and the master it is connected to,
   * found in CLIENT LIST of that node by the connection's local port.
   */
  async function busSubscriberId(svc: CacheService): Promise<{ node: Redis; id: number; localPort: number }> {
    let conn: Redis | null = null;
    await eventually(() => {
      conn = busSubscriberConnection(svc);
      return conn?.status === 'ready' && conn.stream !== undefined;
    });
    const c = conn as unknown as Redis;
    const localPort = c.stream.localPort!;
    const node = master(c.options.port!);
    const list = (await node.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
    const line = list.split('\n').find((l) => new RegExp(` addr=[^ ]+:${localPort} `).test(l));
    if (!line) throw new Error(`bus subscriber (local port ${localPort}) not in CLIENT LIST of ${c.options.port}`);
    return { node, id: Number(/^id=(\d+)/.exec(line)![1]), localPort };
  }

  /** Kills `svc`'s bus subscriber connection by its client id, on the node it is connected to. */
  async function killBusSubscriber(svc: CacheService): Promise<void> {
    const { node, id } = await busSubscriberId(svc);
    expect(await node.call('CLIENT', 'KILL', 'ID', String(id))).toBe(1);
  }

  /** Subscribed again: as many subscribers of the bus channel, summed over the masters (NUMSUB counts one node), as instances given. */
  async function resubscribed(svcs: CacheService[]): Promise<void> {
    const channel = svcs[0].bus!.channel;
    await eventually(async () => {
      let total = 0;
      for (const m of outside.nodes('master')) total += ((await m.call('PUBSUB', 'NUMSUB', channel)) as [string, number])[1];
      return total >= svcs.length;
    });
  }

  describe('L1 coherence when invalidation messages are lost (l1/message-loss.spec.ts)', () => {
    // serverAssisted: false in the cases below: with CLIENT TRACKING each master would itself report
    // the other instance's write to the receiver, and evict its L1 entry whatever the bus lost. The
    // case "tracking on" further down shows that path after a subscriber kill.
    const l1 = { max: 1_000, ttlMs: 1_000, serverAssisted: false };

    it('a gap in a publisher sequence flushes the receiver L1', async () => {
      const prefix = newPrefix('gap');
      const a = await make(prefix, { l1, defaultTtl: 60_000 });
      const b = await make(prefix, { l1, defaultTtl: 60_000 });
      const [ka, kb] = (await namePerMaster((n) => a.namespace('gap').key(n), 'k')) as [string, string];
      await a.namespace('gap').delete('first'); // b has seen a message of a's
      await a.namespace('gap').getOrLoad(ka, async () => 'v1');
      await b.namespace('gap').getOrLoad(ka, async () => 'unexpected');
      await b.namespace('gap').getOrLoad(kb, async () => 'w1');
      expect(b.namespace('gap').peek(ka)).toEqual({ value: 'v1' });
      expect(b.namespace('gap').peek(kb)).toEqual({ value: 'w1' });
      internals(a).seq++; // the message with this number never arrives
      const flushes = b.bus!.lossFlushes;
      await a.namespace('gap').delete('other'); // the next message shows the gap
      expect(b.bus!.lossFlushes).toBe(flushes + 1);
      // Both entries (on different masters) are gone, though the message named neither.
      expect(b.namespace('gap').peek(ka)).toBeUndefined();
      expect(b.namespace('gap').peek(kb)).toBeUndefined();
      // No gap, no flush.
      await b.namespace('gap').getOrLoad(kb, async () => 'w1');
      await a.namespace('gap').delete('another');
      expect(b.bus!.lossFlushes).toBe(flushes + 1);
      expect(b.namespace('gap').peek(kb)).toEqual({ value: 'w1' });
    });

    it('an instance dropped from presence flushes its L1 at its next heartbeat', async () => {
      const prefix = newPrefix('dropped');
      const b = await make(prefix, { l1, defaultTtl: 60_000 });
      await b.namespace('dropped').getOrLoad('k', async () => 'v');
      expect(b.namespace('dropped').peek('k')).toEqual({ value: 'v' });
      await outside.hdel(`${prefix}:__cache_instances`, b.instanceId); // as a publisher that timed out on it
      await internals(b).beat();
      expect(b.namespace('dropped').peek('k')).toBeUndefined();
      expect(await outside.hexists(`${prefix}:__cache_instances`, b.instanceId)).toBe(1); // joined again
    });

    it('a missed acknowledgement drops the receiver from presence; its heartbeat then flushes its L1', async () => {
      const prefix = newPrefix('noack');
      // An L1 ttl longer than the acknowledgement timeout (the default keeps it shorter, so the entry
      // would have expired by itself by the time the publisher gives up): the missed message shows.
      const long = { ...l1, ttlMs: 30_000, ackTimeoutMs: 300 };
      const a = await make(prefix, { l1: long, defaultTtl: 60_000 });
      const b = await make(prefix, { l1: long, defaultTtl: 60_000 });
      const ca = a.namespace('noack');
      const cb = b.namespace('noack');
      await cb.getOrLoad('k', async () => 'old');
      expect(cb.peek('k')).toEqual({ value: 'old' });
      // b stops hearing the bus without its connection going down (a silently dead subscription).
      const sub = internals(b).subscriber;
      await sub.unsubscribe(b.bus!.channel);
      try {
        const started = Date.now();
        expect(await ca.set('k', 'new')).toBe(true);
        // a waited for b's acknowledgement (ackTimeoutMs), then dropped b from presence.
        expect(Date.now() - started).toBeGreaterThanOrEqual(long.ackTimeoutMs);
        expect(await outside.hexists(`${prefix}:__cache_instances`, b.instanceId)).toBe(0);
        expect(cb.peek('k')).toEqual({ value: 'old' }); // the message never reached b
        const flushes = b.bus!.lossFlushes;
        await internals(b).beat();
        expect(b.bus!.lossFlushes).toBe(flushes + 1);
        expect(cb.peek('k')).toBeUndefined();
        expect(await cb.getOrLoad('k', async () => 'loaded')).toBe('new');
        expect(await outside.hexists(`${prefix}:__cache_instances`, b.instanceId)).toBe(1);
      } finally {
        await sub.subscribe(b.bus!.channel);
      }
    });

    it('killing the bus subscriber connections (CLIENT KILL ID on their node) during 600 writes leaves no stale value older than the L1 ttl, and the bus works after the reconnect', async () => {
      const prefix = newPrefix('kill');
      const a = await make(prefix, { l1, defaultTtl: 60_000 });
      const b = await make(prefix, { l1, defaultTtl: 60_000 });
      const ca = a.namespace('kill');
      const cb = b.namespace('kill');
      let source = 0; // the database: written first, then the cache (write-through)
      let committed = 0; // the last write whose cache update returned
      const stale: number[] = [];
      const staleInPresence: number[] = [];
      let worstStaleMs = 0;
      let reads = 0;
      let l1Reads = 0;
      let writing = true;
      const reader = (async () => {
        while (writing) {
          const floor = committed;
          const since = Date.now();
          const fromL1 = cb.peek<number>('k') !== undefined;
          const v = await cb.getOrLoad<number>('k', async () => source);
          reads++;
          if (fromL1) l1Reads++;
          if (v < floor) {
            stale.push(floor - v);
            // Counted apart: an instance in presence is always waited for.
            if ((await outside.hexists(`${prefix}:__cache_instances`, b.instanceId)) === 1) staleInPresence.push(floor - v);
            worstStaleMs = Math.max(worstStaleMs, Date.now() - since);
          }
          await sleep(0);
        }
      })();
      const before = { a: await busSubscriberId(a), b: await busSubscriberId(b) };
      const flushes = { a: a.bus!.lossFlushes, b: b.bus!.lossFlushes };
      let slowestWriteMs = 0;
      let suspendedSeen = false;
      const watch = setInterval(() => (suspendedSeen ||= b.l1!.suspended || a.l1!.suspended), 1);
      for (let i = 1; i <= 600; i++) {
        source = i;
        const started = Date.now();
        await ca.set('k', i);
        slowestWriteMs = Math.max(slowestWriteMs, Date.now() - started);
        committed = i;
        if (i === 200) await killBusSubscriber(b);
        if (i === 400) for (const s of [a, b]) await killBusSubscriber(s);
      }
      writing = false;
      clearInterval(watch);
      await reader;
      const after = { a: await busSubscriberId(a), b: await busSubscriberId(b) };
      const lossFlushes = { a: a.bus!.lossFlushes - flushes.a, b: b.bus!.lossFlushes - flushes.b };
      console.log(
        `cluster: bus subscribers killed (b twice, a once) during 600 writes: ${stale.length} stale reads of ${reads} (${l1Reads} from L1), ` +
          `worst stale window ${worstStaleMs} ms, slowest write ${slowestWriteMs} ms; loss flushes a ${lossFlushes.a}, b ${lossFlushes.b}; ` +
          `L1 suspended meanwhile: ${suspendedSeen}; stale reads while b was in presence ${staleInPresence.length}`,
      );
      // When a message falls into the reconnect gap, the publisher drops b from presence and tells it
      // (the drop-notice case below). If the notice itself falls into a gap, b is only dropped at its
      // heartbeat; what holds even then: no stale value outlives the L1 ttl.
      expect(worstStaleMs).toBeLessThan(l1.ttlMs);
      expect(l1Reads).toBeGreaterThan(0); // L1 did serve: the check covered it
      expect(after.a.localPort).not.toBe(before.a.localPort); // new connections…
      expect(after.b.localPort).not.toBe(before.b.localPort);
      await internals(b).beat(); // b back in presence (and flushed) if a dropped it
      await internals(a).beat();
      expect(await cb.getOrLoad('k', async () => -1)).toBe(600);
      // …subscribed again: a write returns without waiting out the acknowledgement timeout and b's L1
      // (refilled with 600 above) has dropped the key by then.
      await resubscribed([a, b]);
      await cb.getOrLoad('k', async () => -1);
      expect(cb.peek('k')).toEqual({ value: 600 });
      const started = Date.now();
      expect(await ca.set('k', 601)).toBe(true);
      expect(Date.now() - started).toBeLessThan(l1.ttlMs);
      expect(cb.peek('k')).toBeUndefined();
      expect(await cb.getOrLoad('k', async () => -1)).toBe(601);
    }, 30_000);

    // A publisher that misses an instance's acknowledgement drops it from presence, so later
    // invalidations return without waiting for it. When that instance is alive after all (its
    // subscription came back before the timeout, as after a reconnect), the publisher's drop notice
    // reaches it before any later message: it stops serving L1 at once and joins again empty,
    // instead of serving unwaited-for until its next heartbeat.
    it('an instance dropped for a missed acknowledgement stops serving L1 on the drop notice: no write that returned is followed by an old value from its L1', async () => {
      const prefix = newPrefix('dropstale');
      const short = { ...l1, ttlMs: 30_000, ackTimeoutMs: 300 };
      const a = await make(prefix, { l1: short, defaultTtl: 60_000 });
      const b = await make(prefix, { l1: short, defaultTtl: 60_000 });
      const [ca, cb] = [a.namespace('ds'), b.namespace('ds')];
      await cb.getOrLoad('k', async () => 0);
      expect(cb.peek('k')).toEqual({ value: 0 });
      const flushes = b.bus!.lossFlushes;
      // b misses one message: its subscription is gone while a publishes, and back before a gives up.
      const sub = internals(b).subscriber;
      await sub.unsubscribe(b.bus!.channel);
      const missed = ca.set('k', 1);
      await sleep(100);
      await sub.subscribe(b.bus!.channel);
      expect(await missed).toBe(true);
      await eventually(() => b.bus!.lossFlushes > flushes, 2_000);
      const staleAfterWrite: number[] = [];
      for (let i = 2; i <= 101; i++) {
        await cb.getOrLoad('k', async () => i - 1);
        expect(await ca.set('k', i)).toBe(true); // returned: the write is committed
        const held = cb.peek<number>('k');
        if (held && held.value < i) staleAfterWrite.push(i);
      }
      expect(staleAfterWrite).toEqual([]);
      expect(await outside.hexists(`${prefix}:__cache_instances`, b.instanceId)).toBe(1);
    });

    // One publisher's messages go out through one fixed master, so they reach every subscriber in
    // the order they were sent: concurrent invalidations, all delivered, are no gap.
    it("concurrent invalidations of one instance, all delivered, do not flush the other instance's L1", async () => {
      const prefix = newPrefix('reorder');
      const a = await make(prefix, { l1, defaultTtl: 60_000 });
      const b = await make(prefix, { l1, defaultTtl: 60_000 });
      const flushes = b.bus!.lossFlushes;
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => a.namespace('ro').delete(['k', i])));
      expect(results.every(Boolean)).toBe(true); // every message acknowledged by b: none was lost
      expect(b.bus!.lossFlushes).toBe(flushes);
    });

    it("tracking on: after the bus subscriber and the tracking subscriber of the key's master are killed, an outside write still evicts", async () => {
      const prefix = newPrefix('track');
      const opts = { l1: { max: 1_000, ttlMs: 60_000 }, defaultTtl: 60_000 };
      const a = await make(prefix, opts);
      const b = await make(prefix, opts);
      const serving = (s: CacheService) => s.bus!.trackingOn && !s.l1!.suspended;
      await eventually(() => serving(a) && serving(b), 10_000);
      const cb = b.namespace('track');
      const id = 'k';
      const warm = async (v: string) =>
        eventually(async () => {
          await cb.getOrLoad(id, async () => v);
          return cb.peek(id) !== undefined;
        });
      await warm('v1');
      const port = await portOf(cb.key(id));
      const data = (b.cacheClient as Cluster).nodes('master').find((r) => r.options.port === port)!;
      const redirect = Number(await data.call('CLIENT', 'GETREDIR'));
      expect(redirect).toBeGreaterThan(0);
      const busBefore = await busSubscriberId(b);
      await killBusSubscriber(b);
      await master(port).call('CLIENT', 'KILL', 'ID', String(redirect));
      await eventually(() => b.l1!.suspended); // the tracking loss suspends L1
      await eventually(() => serving(b), 10_000);
      expect(Number(await data.call('CLIENT', 'GETREDIR'))).not.toBe(redirect);
      expect((await busSubscriberId(b)).localPort).not.toBe(busBefore.localPort);
      await resubscribed([a, b]);
      await warm('v2');
      expect(cb.peek(id)).toBeDefined();
      await outside.set(cb.key(id), 'changed outside'); // not through the library: no bus message
      await eventually(() => cb.peek(id) === undefined, 2_000);
      // And a library write of the other instance reaches b through the new bus subscription.
      await warm('v3');
      expect(await a.namespace('track').set(id, 'from a')).toBe(true);
      expect(cb.peek(id)).toBeUndefined();
      expect(await cb.getOrLoad(id, async () => 'x')).toBe('from a');
    }, 30_000);
  });

  describe('cache-manager / Keyv store (adapters/keyv-store.ts)', () => {
    it('cache-manager get/set/del, mget/mset/mdel, wrap once, ttl, on keys of every master', async () => {
      const svc = await make(newPrefix('cm'));
      const ns = svc.namespace('cm');
      const cm = createCacheManager({ stores: [cacheManagerStore(svc, { namespace: 'cm' })], ttl: 60_000 });
      const keys = await namePerMaster((n) => ns.key(n), 'p:');
      expect(new Set(await Promise.all(keys.map((k) => portOf(ns.key(k)))))).toEqual(new Set(placement.owners.map((s) => s.port)));
      const when = new Date('2026-01-02T03:04:05.678Z');
      for (const [i, k] of keys.entries()) expect(await cm.set(k, { i, when })).toEqual({ i, when });
      for (const [i, k] of keys.entries()) {
        const got = await cm.get<{ i: number; when: Date }>(k);
        expect(got).toEqual({ i, when });
        expect(got!.when).toBeInstanceOf(Date); // the cache's serializer, not Keyv's JSON
        const pttl = await outside.pttl(ns.key(k)); // the manager's default ttl reached each master
        expect(pttl).toBeGreaterThan(59_000);
        expect(pttl).toBeLessThanOrEqual(60_000);
      }
      expect(await cm.mget([...keys, 'p:none'])).toEqual([...keys.map((_, i) => ({ i, when })), undefined]);
      expect(await cm.del(keys[0])).toBe(true);
      expect(await cm.get(keys[0])).toBeUndefined();
      expect(await ns.get(keys[0])).toBeUndefined(); // gone for the namespace too, not only for the manager
      await cm.mset(keys.map((k, i) => ({ key: k, value: `m${i}` })));
      expect(await cm.mget(keys)).toEqual(['m0', 'm1', 'm2']);
      await cm.mdel(keys);
      expect(await cm.mget(keys)).toEqual([undefined, undefined, undefined]);
      // Expiry: a 1 s entry and one without ttl (the manager's 60 s), on different masters.
      await cm.set(keys[0], 'short', 1_000);
      await cm.set(keys[1], 'long');
      expect(await outside.pttl(ns.key(keys[0]))).toBeLessThanOrEqual(1_000);
      await sleep(1_200);
      expect(await cm.get(keys[0])).toBeUndefined();
      expect(await cm.get(keys[1])).toBe('long');
      let calls = 0;
      const loader = async () => (calls++, await sleep(20), { loaded: true });
      const [w1, w2] = await Promise.all([cm.wrap(keys[2], loader), cm.wrap(keys[2], loader)]);
      expect(await cm.wrap(keys[2], loader)).toEqual({ loaded: true });
      expect([w1, w2, calls]).toEqual([{ loaded: true }, { loaded: true }, 1]);
    });

    it('clear() empties its namespace on every master for every instance, other namespaces untouched', async () => {
      const prefix = newPrefix('cmclear');
      const l1 = { max: 1_000, ttlMs: 30_000 };
      const one = await make(prefix, { l1 });
      const two = await make(prefix, { l1 });
      const a1 = cacheManagerStore(one, { namespace: 'kv-a' });
      const a2 = cacheManagerStore(two, { namespace: 'kv-a' });
      const other = cacheManagerStore(two, { namespace: 'kv-b' });
      const keys = await namePerMaster((n) => one.namespace('kv-a').key(n), 'c');
      for (const k of keys) await a1.set(k, `v-${k}`);
      await other.set(keys[0], 'b');
      for (const k of keys) expect(await a2.get(k)).toBe(`v-${k}`); // two's L1 holds them now
      const l1Before = two.stats.snapshot().namespaces['kv-a'].l1Hits;
      expect(await a2.get(keys[0])).toBe(`v-${keys[0]}`);
      expect(two.stats.snapshot().namespaces['kv-a'].l1Hits).toBe(l1Before + 1);
      await a1.clear();
      for (const k of keys) {
        expect(await a2.get(k)).toBeUndefined();
        expect(await a1.get(k)).toBeUndefined();
        expect(await outside.exists(one.namespace('kv-a').key(k))).toBe(1); // a version bump, no scan
      }
      expect(await other.get(keys[0])).toBe('b');
      await a2.set(keys[1], 'again');
      expect(await a1.get(keys[1])).toBe('again');
    });

    it('a serializing Keyv over the bare store: getMany/has/delete across masters', async () => {
      const svc = await make(newPrefix('keyv'));
      const keyv = new Keyv({ store: keyvStore(svc, { namespace: 'kv-ser' }) });
      // The Keyv prefix "keyv:" is part of the key: pick names whose full keys span the masters.
      const keys = await namePerMaster((n) => svc.namespace('kv-ser').key(`keyv:${n}`), 'a');
      for (const [i, k] of keys.entries()) expect(await keyv.set(k, { x: [i] })).toBe(true);
      expect(await keyv.getMany([...keys, 'nope'])).toEqual([{ x: [0] }, { x: [1] }, { x: [2] }, undefined]);
      expect(await keyv.has(keys[1])).toBe(true);
      expect(await keyv.delete(keys[1])).toBe(true);
      expect(await keyv.has(keys[1])).toBe(false);
      expect(await keyv.getMany(keys)).toEqual([{ x: [0] }, undefined, { x: [2] }]);
    });

    it('@nestjs/cache-manager CACHE_MANAGER on the store: two apps share values and deletes', async () => {
      const prefix = newPrefix('nestcm');
      const l1 = { max: 1_000, ttlMs: 30_000 };
      const one = await make(prefix, { l1 });
      const two = await make(prefix, { l1 });
      const moduleFor = async (svc: CacheService) =>
        Test.createTestingModule({
          imports: [NestCacheModule.register({ stores: [cacheManagerStore(svc, { namespace: 'http' })], ttl: 30_000 })],
        }).compile();
      const [m1, m2] = await Promise.all([moduleFor(one), moduleFor(two)]);
      try {
        const [c1, c2] = [m1.get<Cache>(CACHE_MANAGER), m2.get<Cache>(CACHE_MANAGER)];
        const keys = await namePerMaster((n) => one.namespace('http').key(n), 'price:');
        for (const k of keys) await c1.set(k, { k, price: 10 });
        for (const k of keys) expect(await c2.get(k)).toEqual({ k, price: 10 });
        const pttl = await outside.pttl(one.namespace('http').key(keys[2]));
        expect(pttl).toBeGreaterThan(29_000);
        for (const k of keys) await c1.set(k, { k, price: 12 }); // drops them from two's L1 before returning
        for (const k of keys) expect(await c2.get(k)).toEqual({ k, price: 12 });
        expect(await c2.del(keys[0])).toBe(true);
        expect(await c1.get(keys[0])).toBeUndefined();
      } finally {
        await Promise.all([m1.close(), m2.close()]);
      }
    });
  });

  describe('OpenTelemetry (telemetry/open-telemetry.spec.ts)', () => {
    /** Spans and counter values of one scenario, for namespace `ns`. */
    async function scenario(svc: CacheService, ns: string, batch: string[]) {
      const reader = new CollectingReader();
      const provider = new MeterProvider({ readers: [reader] });
      const stop = registerOpenTelemetryMetrics(svc.stats, provider.getMeter('test'));
      const from = spans.length;
      const c = svc.namespace(ns);
      expect(await c.getOrLoad('k', async () => 'v')).toBe('v'); // miss: a load span
      expect(await c.getOrLoad('k', async () => 'hit: no span')).toBe('v');
      expect(await c.getMany([...batch, 'k'], async (keys) => keys.map(() => 'x'))).toEqual([...batch.map(() => 'x'), 'v']);
      await expect(c.getOrLoad('bad', async () => Promise.reject(new Error('db')))).rejects.toThrow('db');
      const recorded = spans.slice(from).filter((s) => s.attributes['cache.namespace'] === ns);
      const { resourceMetrics } = await reader.collect();
      const points: Record<string, number> = {};
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const m of scope.metrics)
          for (const dp of m.dataPoints) if (dp.attributes['cache.namespace'] === ns) points[m.descriptor.name] = dp.value as number;
      }
      stop();
      await provider.shutdown();
      return { spans: recorded.map((s) => [s.name, s.attributes, s.error, s.ended]), points };
    }

    it('a miss and a hit (and a batch across masters, and a failed load) give the same spans and metrics as on one node', async () => {
      const svc = await make(newPrefix('otel'), { l1: { max: 100, ttlMs: 10_000, serverAssisted: false } });
      const batch = await namePerMaster((n) => svc.namespace('traced').key(n), 'b');
      const onCluster = await scenario(svc, 'traced', batch);
      expect(onCluster.spans).toEqual([
        ['cache.load', { 'cache.namespace': 'traced' }, false, true],
        ['cache.load_many', { 'cache.namespace': 'traced', 'cache.keys': 3 }, false, true],
        ['cache.load', { 'cache.namespace': 'traced' }, true, true],
      ]);
      expect(onCluster.points).toMatchObject({
        'cache.hits': 2,
        'cache.misses': 5,
        'cache.loads': 3,
        'cache.load.errors': 1,
        'cache.errors': 0,
      });

      const kit = new CacheKit('cluster-otel');
      try {
        const single = await kit.cache({ openTelemetry: false, l1: { max: 100, ttlMs: 10_000, serverAssisted: false } });
        expect(await scenario(single, 'traced', batch)).toEqual(onCluster);
      } finally {
        await kit.cleanup();
      }
    });
  });

  describe('the rest of the public API that had no cluster test', () => {
    it('@Cacheable / @CachePut / @CacheEvict (tags) on keys of every master, seen by another instance', async () => {
      const prefix = newPrefix('deco');
      const l1 = { max: 1_000, ttlMs: 30_000 };
      const svc = await make(prefix, { l1 });
      const other = await make(prefix, { l1 });
      const db = new Map<string, number>();
      let reads = 0;
      class Repo {
        @Cacheable({ namespace: 'deco', key: (id: string) => ['item', id], tags: (id: string) => [`item:${id}`, 'all-items'] })
        async find(id: string) {
          reads++;
          return { id, n: db.get(id) ?? 0 };
        }

        @CachePut({ namespace: 'deco', key: (id: string) => ['item', id], tags: (id: string) => [`item:${id}`, 'all-items'] })
        async save(id: string, n: number) {
          db.set(id, n);
          return { id, n };
        }

        @CacheEvict({ namespace: 'deco', tags: () => ['all-items'] })
        async wipe() {
          db.clear();
        }
      }
      const ids = await namePerMaster((n) => svc.namespace('deco').key(['item', n]), 'i');
      setCacheForDecorators(svc);
      try {
        const repo = new Repo();
        for (const id of ids) db.set(id, 1);
        for (const id of ids) expect(await repo.find(id)).toEqual({ id, n: 1 });
        for (const id of ids) expect(await repo.find(id)).toEqual({ id, n: 1 });
        expect(reads).toBe(3);
        for (const id of ids) expect(await other.namespace('deco').get(['item', id])).toEqual({ id, n: 1 });
        await repo.save(ids[1], 2);
        expect(await other.namespace('deco').get(['item', ids[1]])).toEqual({ id: ids[1], n: 2 });
        expect(await repo.find(ids[1])).toEqual({ id: ids[1], n: 2 });
        expect(reads).toBe(3);
        await repo.wipe(); // one tag over entries on three masters
        for (const id of ids) expect(await other.namespace('deco').get(['item', id])).toBeUndefined();
        for (const id of ids) expect(await repo.find(id)).toEqual({ id, n: 0 });
        expect(reads).toBe(6);
      } finally {
        clearCacheForDecorators(svc);
      }
    });

    it("write-through drops the key from the other instance's L1 before it returns, on every master", async () => {
      const prefix = newPrefix('wt');
      const l1 = { max: 1_000, ttlMs: 30_000, serverAssisted: false };
      const a = await make(prefix, { l1 });
      const b = await make(prefix, { l1 });
      const keys = await namePerMaster((n) => a.namespace('wt').key(n), 'w');
      for (const k of keys) {
        await b.namespace('wt').getOrLoad(k, async () => 'old');
        expect(b.namespace('wt').peek(k)).toEqual({ value: 'old' });
        const persisted: string[] = [];
        expect(await a.writeThrough.write(k, 'new', async (v) => (persisted.push(v), v), { namespace: 'wt' })).toBe('new');
        expect(persisted).toEqual(['new']);
        expect(b.namespace('wt').peek(k)).toBeUndefined();
        expect(await b.namespace('wt').getOrLoad(k, async () => 'reloaded')).toBe('new');
      }
    });

    it("glob invalidation removes matching keys on every master and from the other instance's L1", async () => {
      const prefix = newPrefix('glob');
      const l1 = { max: 1_000, ttlMs: 30_000, serverAssisted: false };
      const a = await make(prefix, { l1 });
      const b = await make(prefix, { l1 });
      const ca = a.namespace('gl');
      const cb = b.namespace('gl');
      const names: string[] = [];
      for (let i = 0; i < 30; i++) names.push(`user:${i}:profile`);
      for (const n of names) await ca.getOrLoad(n, async () => n);
      await ca.getOrLoad('order:1', async () => 'keep');
      for (const n of names) await cb.getOrLoad(n, async () => 'x');
      const ports = new Set(await Promise.all(names.map((n) => portOf(ca.key(n)))));
      expect(ports.size).toBe(3);
      expect(await a.invalidator.invalidateGlob('gl', `${ca.key('user:')}*`)).toBe(30);
      for (const n of names) {
        expect(await outside.exists(ca.key(n))).toBe(0);
        expect(cb.peek(n)).toBeUndefined();
      }
      expect(await cb.get('order:1')).toBe('keep');
    });

    it('JSON serializer: values written by one instance are read by another, across masters', async () => {
      const prefix = newPrefix('json');
      const a = await make(prefix, { serializer: 'json' });
      const b = await make(prefix, { serializer: 'json' });
      const keys = await namePerMaster((n) => a.namespace('js').key(n), 'j');
      for (const [i, k] of keys.entries()) await a.namespace('js').set(k, { i, s: 'é\u{1F600}' });
      expect(await b.namespace('js').mget(keys)).toEqual(keys.map((_, i) => ({ i, s: 'é\u{1F600}' })));
      expect(await outside.get(a.namespace('js').key(keys[0]))).toContain('"s":"é\u{1F600}"');
    });

    it('Prometheus metrics and the Terminus health indicator read a cluster cache', async () => {
      const svc = await make(newPrefix('prom'));
      const registry = new Registry();
      const unregister = registerCacheMetrics(svc.stats, registry, { breaker: svc.breaker });
      try {
        const c = svc.namespace('prom');
        const keys = await namePerMaster((n) => c.key(n), 'k');
        for (const k of keys) await c.getOrLoad(k, async () => k);
        for (const k of keys) await c.getOrLoad(k, async () => 'no');
        const text = await registry.metrics();
        expect(text).toContain('cache_hits_total{namespace="prom"} 3');
        expect(text).toContain('cache_misses_total{namespace="prom"} 3');
        expect(text).toContain('cache_circuit_open 0');
      } finally {
        unregister();
      }
      const health = await new CacheHealthIndicator(svc).isHealthy('redis');
      expect(health.redis.status).toBe('up');
      expect(typeof health.redis.latencyMs).toBe('number');
    });
  });
});
