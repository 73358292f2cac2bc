/**
 * The batch, tag and outside-write sections of bench:cache: getMany of 100 keys against raw MGET
 * and the peers' batch reads; tag invalidation time at growing tag sizes against bentocache's;
 * the delay from a write made outside the library to the L1 eviction.
 */
import { Redis } from 'ioredis';
import { createCache, type CacheService } from '../../libs/cache/src/create-cache.js';
import { bentocacheBatch, cacheManagerBatch, type PeerBatch } from '../peers/subjects.js';
import { opsPerSec } from './measure.js';
import { payload } from './payload.js';

export const BATCH = 100;

export interface BatchResult {
  /** Batches of BATCH keys per second (8 batches in flight), best of the rounds. */
  batchesPerSec: Record<string, number>;
  /**
   * Milliseconds to invalidate one tag carried by N keys, per subject: `ours` (hard, with the sweep
   * of the tag's keys: the default), `oursSoft` (soft, O(1)), `oursHard` (hard, sweep: false, O(1)),
   * `bentocache` (deleteByTag). The O(1) ones are the median of TAG_REPEATS calls.
   */
  tagInvalidationMs: Record<string, Record<string, number>>;
  /** Delay from an outside write to the L1 eviction, ms. */
  outsideWriteToL1Eviction: { p50: number; p99: number; samples: number };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Calls of each O(1) tag invalidation per size (their median is reported: one call is sub-millisecond noise). */
const TAG_REPEATS = 5;

/** Milliseconds `fn` takes: the median of `times` calls. */
async function medianMs(times: number, fn: () => Promise<unknown>): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < times; i++) {
    const t = process.hrtime.bigint();
    await fn();
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return +ms[Math.floor(ms.length / 2)].toFixed(2);
}

export async function batchSection(
  server: { host: string; port: number; url: string },
  opts: { rounds: number; durationMs: number; warmupMs: number; tagSizes: number[]; progress: (m: string) => void },
): Promise<BatchResult> {
  const keys = Array.from({ length: BATCH }, (_, i) => `b${i}`);
  const raw = new Redis(server.url);
  const ours = createCache({ redis: { url: server.url, commandTimeoutMs: 5_000 }, prefix: 'bench-batch', defaultTtl: 600_000 });
  await ours.ready();
  const ns = ours.namespace('batch');
  const peers: PeerBatch[] = [bentocacheBatch(server.host, server.port), cacheManagerBatch(server.url)];
  const subjects: { name: string; read: () => Promise<unknown> }[] = [];
  try {
    await raw.mset(...keys.flatMap((k, i) => [`bench-raw-batch:${k}`, JSON.stringify(payload(i))]));
    const rawKeys = keys.map((k) => `bench-raw-batch:${k}`);
    subjects.push({
      name: 'raw MGET + JSON.parse',
      read: async () => (await raw.mget(...rawKeys)).map((v) => (v === null ? undefined : JSON.parse(v))),
    });
    await ns.setMany(keys.map((k, i) => [k, payload(i)] as const));
    subjects.push({
      name: 'ours getMany',
      read: () =>
        ns.getMany(keys, async () => {
          throw new Error('all cached');
        }),
    });
    for (const peer of peers) {
      await peer.fill('b', BATCH, payload);
      subjects.push({
        name: peer.name === 'bentocache' ? 'bentocache (100 x get, no batch API)' : 'cache-manager mget',
        read: () => peer.readMany(keys),
      });
    }
    const best = new Map<string, number>();
    for (let round = 0; round < opts.rounds; round++) {
      for (const s of subjects) {
        const ops = await opsPerSec(() => s.read(), { inFlight: 8, durationMs: opts.durationMs, warmupMs: opts.warmupMs, keys: 1 });
        best.set(s.name, Math.max(best.get(s.name) ?? 0, ops));
        opts.progress(`batch round ${round + 1}: ${s.name} ${Math.round(ops)} batches/s`);
      }
    }

    const tagInvalidationMs: Record<string, Record<string, number>> = { ours: {}, oursSoft: {}, oursHard: {}, bentocache: {} };
    const bento = peers[0];
    for (const n of opts.tagSizes) {
      const tag = `t${n}`;
      opts.progress(`tag of ${n} keys: filling`);
      const tagged = ours.namespace(`tag${n}`);
      for (let i = 0; i < n; i += 500) {
        await Promise.all(Array.from({ length: Math.min(500, n - i) }, (_, j) => tagged.set(i + j, i + j, { tags: [tag] })));
      }
      await bento.fill(`tag${n}:`, n, (i) => i, tag);
      // The O(1) ones leave the tag's key set alone, so the sweep afterwards still finds every key.
      tagInvalidationMs.oursSoft[n] = await medianMs(TAG_REPEATS, () => tagged.invalidateTag(tag, { soft: true }));
      tagInvalidationMs.oursHard[n] = await medianMs(TAG_REPEATS, () => tagged.invalidateTag(tag, { sweep: false }));
      tagInvalidationMs.ours[n] = await medianMs(1, () => tagged.invalidateTag(tag));
      tagInvalidationMs.bentocache[n] = await medianMs(TAG_REPEATS, () => bento.invalidateTag!(tag));
      const row = Object.entries(tagInvalidationMs).map(([who, byN]) => `${who} ${byN[n]} ms`);
      opts.progress(`tag of ${n} keys: ${row.join(', ')}`);
      await raw.flushdb(); // keep memory and later fills small
    }
    return {
      batchesPerSec: Object.fromEntries([...best].map(([k, v]) => [k, Math.round(v)])),
      tagInvalidationMs,
      outsideWriteToL1Eviction: await outsideWriteDelay(server.url, raw),
    };
  } finally {
    raw.disconnect();
    await ours.close();
    await Promise.all(peers.map((p) => p.close().catch(() => undefined)));
  }
}

/** p50/p99 of the delay from a write by another client to the L1 eviction (CLIENT TRACKING). */
async function outsideWriteDelay(url: string, outside: Redis): Promise<{ p50: number; p99: number; samples: number }> {
  const svc: CacheService = createCache({
    redis: { url, commandTimeoutMs: 5_000 },
    prefix: 'bench-trk',
    l1: { max: 1_000, ttlMs: 60_000 },
    defaultTtl: 600_000,
  });
  await svc.ready();
  const c = svc.namespace('trk');
  try {
    await c.getOrLoad('warmup', async () => 0);
    const until = Date.now() + 5_000;
    while (!svc.bus!.trackingOn && Date.now() < until) await sleep(5);
    const delays: number[] = [];
    for (let i = 0; i < 300; i++) {
      await c.getOrLoad(i, async () => i);
      while (c.peek(i) === undefined) {
        await sleep(1);
        await c.getOrLoad(i, async () => i);
      }
      const start = process.hrtime.bigint();
      await outside.set(c.key(i), 'changed outside');
      while (c.peek(i) !== undefined) await new Promise((r) => setImmediate(r));
      delays.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    delays.sort((a, b) => a - b);
    const at = (q: number): number => +delays[Math.min(delays.length - 1, Math.floor(q * delays.length))].toFixed(2);
    return { p50: at(0.5), p99: at(0.99), samples: delays.length };
  } finally {
    await svc.close();
  }
}
