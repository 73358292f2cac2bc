import { indexesBySlot } from '../keys/slots.js';
import type { KeyBuilder } from '../keys/key-builder.js';
import type { L1Namespace, L1TagStamp } from '../l1/l1-cache.js';
import { isCluster, type RedisClient } from '../redis/connection.js';
import { ensureTagVersion, parseTagState, type TagState } from '../redis/tag-scripts.js';
import { FAILED, type GuardedRedis } from '../resilience/guarded-redis.js';
import type { Entry } from '../serialization/envelope.js';
import type { TagStamp } from '../serialization/tag-stamps.js';
import type { NamespaceCounters } from '../stats/cache-stats.js';

/** Tag states by tag-version key, as read from Redis (null: the key is missing). */
export type TagStates = ReadonlyMap<string, TagState | null>;

type Raw = string | Buffer | null;

/** Bound on the tag → key cache (past it the map starts over). */
const MAX_KEYS = 10_000;

/**
 * The tag versions of one namespace (see redis/tag-scripts.ts): stamps for entries about to be
 * loaded, and the verdict on an entry read back. States read from Redis are kept in L1 (under the
 * tag-version key, for L1's ttl), where an invalidation of the tag drops them on every instance
 * through the invalidation bus, as it drops entry keys; without L1 (or while it is suspended) each
 * read of a tagged entry reads its tags' states from Redis.
 */
export class TagVersions {
  private readonly keyOf = new Map<string, string>();
  private readonly cluster: boolean;

  constructor(
    private readonly redis: GuardedRedis,
    private readonly keys: KeyBuilder,
    private readonly namespace: string,
    private readonly l1: L1Namespace | undefined,
    private readonly counters?: NamespaceCounters,
  ) {
    this.cluster = isCluster(redis.client);
  }

  /** The version key of `tag`. */
  key(tag: string): string {
    let k = this.keyOf.get(tag);
    if (k === undefined) {
      k = this.keys.tagVersion(this.namespace, tag);
      if (this.keyOf.size >= MAX_KEYS) this.keyOf.clear();
      this.keyOf.set(tag, k);
    }
    return k;
  }

  /** The version keys of `tags`; undefined without tags. */
  keysOf(tags: readonly string[] | undefined): string[] | undefined {
    return tags?.length ? tags.map((t) => this.key(t)) : undefined;
  }

  /** Stamps as L1 checks them (by version key); undefined without tags. */
  keyed(stamps: readonly TagStamp[] | undefined): L1TagStamp[] | undefined {
    return stamps?.length ? stamps.map((s) => ({ key: this.key(s.tag), v: s.v })) : undefined;
  }

  /**
   * Before a load reads its source: each tag's version (created if missing), which the value is
   * stored with. A tag invalidation after this point moves the version past the stamp. Undefined
   * when Redis failed (the value is then not stored).
   */
  async stamp(tags: readonly string[]): Promise<TagStamp[] | undefined> {
    const gen = this.l1?.generation ?? 0;
    const at = Date.now();
    const keys = tags.map((t) => this.key(t));
    const res = await this.redis.run((c) => Promise.all(keys.map((k) => ensureTagVersion(c, k))), this.counters);
    if (res === FAILED) return undefined;
    const out: TagStamp[] = [];
    for (let i = 0; i < tags.length; i++) {
      const s = res[i];
      if (!s) return undefined;
      out.push({ tag: tags[i], v: s.c });
      this.remember(keys[i], s, gen, at);
    }
    return out;
  }

  /** States of `keys` from raw replies (`raws[from + i]` is the reply for keys[i]), remembered in L1. */
  statesOf(keys: readonly string[], raws: readonly Raw[], from: number, gen: number, at: number): Map<string, TagState | null> {
    const out = new Map<string, TagState | null>();
    for (let i = 0; i < keys.length; i++) {
      const s = parseTagState(raws[from + i]);
      out.set(keys[i], s);
      if (s) this.remember(keys[i], s, gen, at);
    }
    return out;
  }

  /** Reads the states of `keys` (one MGET per slot); undefined when Redis failed. */
  async load(keys: readonly string[], gen: number): Promise<TagStates | undefined> {
    const at = Date.now();
    const res = await this.redis.run((c) => this.fetch(c, keys), this.counters);
    return res === FAILED ? undefined : this.statesOf(keys, res, 0, gen, at);
  }

  /** Raw replies for `keys`, in order: one MGET on a single node, one MGET per slot on a cluster. */
  async fetch(c: RedisClient, keys: readonly string[]): Promise<Raw[]> {
    if (!this.cluster) return c.mget(...keys);
    const bySlot = indexesBySlot(keys);
    const out: Raw[] = new Array<Raw>(keys.length).fill(null);
    await Promise.all(
      [...bySlot.values()].map(async (at) => {
        const values = await c.mget(...at.map((i) => keys[i]));
        at.forEach((i, j) => (out[i] = values[j] ?? null));
      }),
    );
    return out;
  }

  /**
   * The verdict on an entry by its stamps, from `states` (this read's) or L1: the entry as it
   * stands (stale from the latest soft invalidation after its load: freshUntil 0), undefined when a
   * tag was invalidated hard after its load (or the tag's version is gone), or the version keys
   * whose states are not known yet.
   */
  judge(entry: Entry, states: TagStates | undefined): Entry | undefined | string[] {
    let soft = 0;
    let unknown: string[] | undefined;
    for (const stamp of entry.tags!) {
      const key = this.key(stamp.tag);
      let s = states?.get(key);
      if (s === undefined) s = this.cached(key);
      if (s === undefined) {
        (unknown ??= []).push(key);
        continue;
      }
      if (s === null || s.h > stamp.v) return undefined;
      if (s.c > stamp.v) soft = Math.max(soft, s.c);
    }
    if (unknown) return unknown;
    if (soft === 0) return entry;
    // Stale at once, whatever the clocks say; only the end of the grace period uses the server's time.
    return { ...entry, freshUntil: 0, softInvalidatedAt: Math.floor(soft / 1000) };
  }

  /** A state in L1, if any (entries of the tag are unknown otherwise). */
  private cached(key: string): TagState | undefined {
    const box = this.l1?.get(key);
    return box === undefined ? undefined : (box.v as TagState);
  }

  /** Keeps a state in L1 unless an invalidation happened since the read began (generation moved). */
  private remember(key: string, state: TagState, gen: number, at: number): void {
    this.l1?.set(key, state, Infinity, gen, at, undefined, false); // a state, not an entry: read again with its entries
  }
}

/** The caller's view of its tags' versions, for flight and lock keys ('' without tags). */
export function tagMark(raws: readonly Raw[], from: number, count: number): string {
  let out = '';
  for (let i = 0; i < count; i++) {
    const r = raws[from + i];
    out += (i ? ',' : '') + (r === null || r === undefined ? '-' : typeof r === 'string' ? r : r.toString('latin1'));
  }
  return out;
}
