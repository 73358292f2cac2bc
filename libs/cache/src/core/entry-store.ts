import type { Invalidator } from '../invalidation/invalidator.js';
import type { KeyBuilder } from '../keys/key-builder.js';
import type { L1Namespace } from '../l1/l1-cache.js';
import { casSet, tagAdd } from '../redis/scripts.js';
import { FAILED, type GuardedRedis } from '../resilience/guarded-redis.js';
import { EntryKind, encodeEntry, newToken } from '../serialization/envelope.js';
import type { Serializer } from '../serialization/serializer.js';
import type { CacheStats, NamespaceCounters } from '../stats/cache-stats.js';
import type { ReadResult } from './entry-reader.js';
import { FOREVER, jitteredTtl, type ResolvedOptions } from './options.js';

/**
 * The write side of the entries (EntryReader is the read side). A loaded value is stored with
 * compare-and-set on the entry head seen before loading, so a load that lost a race with an
 * invalidation or a newer write never puts its old value back; set()'s unconditional write drops the
 * previous value from every L1. Tag membership is recorded here too, before a load reads its source.
 */
export class EntryStore {
  constructor(
    private readonly redis: GuardedRedis,
    private readonly keys: KeyBuilder,
    private readonly namespace: string,
    private readonly serializer: Serializer,
    private readonly l1: L1Namespace | undefined,
    private readonly counters: NamespaceCounters,
    private readonly invalidator: Invalidator,
    private readonly stats: CacheStats,
  ) {}

  /** Stores a loader's value (or "not found", with negativeTtl) if the entry is still `expected`; fills L1 when stored. */
  async storeLoaded<T>(k: string, expected: ReadResult, value: T, o: ResolvedOptions): Promise<void> {
    const miss = value === undefined || (value === null && o.nullIsMiss === true);
    if (miss && !o.negativeTtl) return;
    const fresh = miss ? o.negativeTtl! : jitteredTtl(o.ttl, o.jitter);
    const px = miss ? fresh : fresh + (o.staleFor ?? 0);
    let payload: string | Buffer;
    try {
      payload = encodeEntry(this.serializer, miss ? EntryKind.Negative : EntryKind.Value, newToken(), expected.nsVersion, freshUntil(fresh), value);
    } catch (err) {
      this.stats.notCached(this.counters, err); // not serializable: served uncached
      return;
    }
    this.l1?.store.noteOwnWrite(k);
    const stored = await this.redis.run((c) => casSet(c, k, expected.head, payload, px), this.counters);
    if (stored !== 1) this.l1?.store.forgetOwnWrite(k);
    if (stored === 1 && o.l1 !== false && this.l1 !== undefined) {
      // L1 keeps a copy (as Redis holds it), frozen: the loader's own object stays its caller's.
      this.l1.set(k, miss ? undefined : this.serializer.decode(this.serializer.encode(value)), fresh, expected.gen);
    }
  }

  /**
   * Unconditional write under namespace version `nsVersion`, then the key is dropped from every L1
   * (other instances may hold the previous value, ours too). False when it could not be stored.
   */
  async write<T>(k: string, nsVersion: number, value: T, o: ResolvedOptions): Promise<boolean> {
    if (o.tags?.length && !(await this.addTags(k, o))) return false;
    const fresh = jitteredTtl(o.ttl, o.jitter);
    let payload: string | Buffer;
    try {
      payload = encodeEntry(this.serializer, EntryKind.Value, newToken(), nsVersion, freshUntil(fresh), value);
    } catch (err) {
      this.stats.notCached(this.counters, err);
      return false;
    }
    const px = fresh + (o.staleFor ?? 0);
    const res = await this.redis.run((c) => (Number.isFinite(px) ? c.set(k, payload, 'PX', px) : c.set(k, payload)), this.counters);
    await this.invalidator.broadcastKeys(this.namespace, [k]);
    return res !== FAILED;
  }

  /** write() for many entries: the SETs leave in one round trip, then one L1 broadcast for all keys. */
  async writeMany(entries: readonly (readonly [string, unknown])[], nsVersion: number, o: ResolvedOptions): Promise<boolean> {
    if (o.tags?.length && !(await Promise.all(entries.map(([k]) => this.addTags(k, o)))).every(Boolean)) return false;
    const sets: [string, string | Buffer, number][] = [];
    for (const [k, value] of entries) {
      const fresh = jitteredTtl(o.ttl, o.jitter);
      try {
        sets.push([k, encodeEntry(this.serializer, EntryKind.Value, newToken(), nsVersion, freshUntil(fresh), value), fresh + (o.staleFor ?? 0)]);
      } catch (err) {
        this.stats.notCached(this.counters, err);
        return false;
      }
    }
    const res = await this.redis.run(
      (c) => Promise.all(sets.map(([k, payload, px]) => (Number.isFinite(px) ? c.set(k, payload, 'PX', px) : c.set(k, payload)))),
      this.counters,
    );
    await this.invalidator.broadcastKeys(this.namespace, entries.map(([k]) => k));
    return res !== FAILED;
  }

  /** Adds `k` to the sets of its tags (o.tags), kept alive at least as long as the entry; false when Redis failed. */
  async addTags(k: string, o: ResolvedOptions): Promise<boolean> {
    // A set with no expiry (-1) is never shortened by TAG_ADD; an entry living forever keeps its tag forever.
    const life = Math.min(Math.max(o.ttl + (o.staleFor ?? 0), o.negativeTtl ?? 0) + 60_000, FOREVER);
    const res = await this.redis.run((c) => Promise.all(o.tags!.map((t) => tagAdd(c, this.keys.tag(this.namespace, t), life, k))));
    return res !== FAILED;
  }
}

/** Epoch ms until which an entry living `fresh` ms is fresh (FOREVER for ttl Infinity). */
function freshUntil(fresh: number): number {
  return Number.isFinite(fresh) ? Date.now() + fresh : FOREVER;
}
