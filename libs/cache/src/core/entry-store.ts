import type { Invalidator } from '../invalidation/invalidator.js';
import type { KeyBuilder } from '../keys/key-builder.js';
import type { L1Namespace } from '../l1/l1-cache.js';
import { casSet, casSetAndRelease, tagAdd } from '../redis/scripts.js';
import { FAILED, type GuardedRedis } from '../resilience/guarded-redis.js';
import { EntryKind, encodeEntry, encodeEntryHeader, entryHead, newToken } from '../serialization/envelope.js';
import type { Serializer } from '../serialization/serializer.js';
import type { CacheStats, NamespaceCounters } from '../stats/cache-stats.js';
import type { TagStamp } from '../serialization/tag-stamps.js';
import type { HeldLock } from '../redis/load-lock-scripts.js';
import type { ReadResult } from './entry-reader.js';
import { FOREVER, jitteredTtl, type ResolvedOptions } from './options.js';
import type { TagVersions } from './tag-versions.js';

/**
 * The write side of the entries (EntryReader is the read side). A loaded value is stored with
 * compare-and-set on the entry head seen before loading, so a load that lost a race with an
 * invalidation or a newer write never puts its old value back; set()'s unconditional write drops the
 * previous value from every L1. Tags are recorded here too, before a load reads its source: the
 * entry's key joins each tag's set (for the sweep of a hard invalidation) and the tags' versions are
 * read, to be stored with the value (tag-versions.ts).
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
    private readonly tags: TagVersions,
  ) {}

  /**
   * Stores a loader's value (or "not found", with negativeTtl) if the entry is still `expected` and,
   * when loaded under the load `lock`, no later holder took over (its fence), with the tag versions
   * `stamps` read before the load; fills L1 when stored. The `lock` is freed by the same script.
   */
  async storeLoaded<T>(
    k: string,
    expected: ReadResult,
    value: T,
    o: ResolvedOptions,
    stamps?: readonly TagStamp[],
    lock?: HeldLock,
  ): Promise<void> {
    const miss = value === undefined || (value === null && o.nullIsMiss === true);
    if (miss && !o.negativeTtl) return;
    const fresh = miss ? o.negativeTtl! : jitteredTtl(o.ttl, o.jitter);
    const px = miss ? fresh : fresh + (o.staleFor ?? 0);
    let header: string;
    let body: string | Buffer | undefined;
    const kind = miss ? EntryKind.Negative : EntryKind.Value;
    const token = newToken();
    try {
      // Encoded once: the entry's value, and L1's copy decoded from it below. Header and value go
      // to Redis as they are; the store script joins them.
      body = miss ? undefined : this.serializer.encode(value);
      header = encodeEntryHeader(kind, token, expected.nsVersion, freshUntil(fresh), stamps);
    } catch (err) {
      this.stats.notCached(this.counters, err); // not serializable: served uncached
      return;
    }
    this.l1?.store.noteOwnWrite(k);
    // Under a load lock, the store frees it too: one round trip instead of two.
    const stored = await this.redis.run(
      (c) =>
        lock === undefined ? casSet(c, k, expected.head, header, px, body) : casSetAndRelease(c, k, expected.head, header, px, lock, body),
      this.counters,
    );
    if (stored !== 1) this.l1?.store.forgetOwnWrite(k);
    if (stored === 1 && o.l1 !== false && o.l1 !== 'reread' && this.l1 !== undefined) {
      // L1 keeps a copy (as Redis holds it), frozen: the loader's own object stays its caller's.
      this.l1.set(
        k,
        body === undefined ? undefined : this.serializer.decode(body),
        fresh,
        expected.gen,
        undefined,
        this.tags.keyed(stamps),
        true,
        entryHead(kind, token), // the head a read of this entry will show
      );
    }
  }

  /**
   * Unconditional write under namespace version `nsVersion`, then the key is dropped from every L1
   * (other instances may hold the previous value, ours too). False when it could not be stored.
   */
  async write<T>(k: string, nsVersion: number, value: T, o: ResolvedOptions): Promise<boolean> {
    const stamps = o.tags?.length ? await this.addTags([k], o) : undefined;
    if (o.tags?.length && !stamps) return false;
    const fresh = jitteredTtl(o.ttl, o.jitter);
    let payload: string | Buffer;
    try {
      payload = encodeEntry(this.serializer, EntryKind.Value, newToken(), nsVersion, freshUntil(fresh), value, stamps);
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
    const stamps = o.tags?.length
      ? await this.addTags(
          entries.map(([k]) => k),
          o,
        )
      : undefined;
    if (o.tags?.length && !stamps) return false;
    const sets: [string, string | Buffer, number][] = [];
    for (const [k, value] of entries) {
      const fresh = jitteredTtl(o.ttl, o.jitter);
      try {
        sets.push([
          k,
          encodeEntry(this.serializer, EntryKind.Value, newToken(), nsVersion, freshUntil(fresh), value, stamps),
          fresh + (o.staleFor ?? 0),
        ]);
      } catch (err) {
        this.stats.notCached(this.counters, err);
        return false;
      }
    }
    const res = await this.redis.run(
      (c) => Promise.all(sets.map(([k, payload, px]) => (Number.isFinite(px) ? c.set(k, payload, 'PX', px) : c.set(k, payload)))),
      this.counters,
    );
    await this.invalidator.broadcastKeys(
      this.namespace,
      entries.map(([k]) => k),
    );
    return res !== FAILED;
  }

  /**
   * Records the tags (o.tags) of entries `ks` about to be loaded or written: adds each key to the
   * tag's set, kept alive at least as long as the entry, and reads the tags' versions, in one round
   * trip. The stamps to store the values with; undefined when Redis failed (then nothing is stored).
   */
  async addTags(ks: readonly string[], o: ResolvedOptions): Promise<TagStamp[] | undefined> {
    // A set with no expiry (-1) is never shortened by TAG_ADD; an entry living forever keeps its tag forever.
    const life = Math.min(Math.max(o.ttl + (o.staleFor ?? 0), o.negativeTtl ?? 0) + 60_000, FOREVER);
    const [added, stamps] = await Promise.all([
      this.redis.run((c) => Promise.all(o.tags!.flatMap((t) => ks.map((k) => tagAdd(c, this.keys.tag(this.namespace, t), life, k))))),
      this.tags.stamp(o.tags!),
    ]);
    return added === FAILED ? undefined : stamps;
  }
}

/** Epoch ms until which an entry living `fresh` ms is fresh (FOREVER for ttl Infinity). */
function freshUntil(fresh: number): number {
  return Number.isFinite(fresh) ? Date.now() + fresh : FOREVER;
}
