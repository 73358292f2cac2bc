import type { KeyBuilder } from '../keys/key-builder.js';
import type { L1Namespace } from '../l1/l1-cache.js';
import { isCluster, type RedisClient } from '../redis/connection.js';
import { FAILED, type GuardedRedis } from '../resilience/guarded-redis.js';
import { indexesBySlot } from '../keys/slots.js';
import { ensureNamespaceVersion } from '../redis/scripts.js';
import { decodeEntry, EntryKind, HEAD_LENGTH, NO_VERSION, versionOf, type Entry } from '../serialization/envelope.js';
import type { Serializer } from '../serialization/serializer.js';
import type { NamespaceCounters } from '../stats/cache-stats.js';
import { tagMark, type TagStates, type TagVersions } from './tag-versions.js';

/** One Redis read of an entry together with the current namespace version. */
export interface ReadResult {
  /** False when Redis could not be read (fail-open: load, don't store). */
  ok: boolean;
  nsVersion: number;
  /** Entry head (kind+token) or '' when absent: what the compare-and-set store expects. */
  head: string;
  /** The entry if it is a value/negative entry of the current namespace version. */
  entry: Entry | undefined;
  /** L1 generation before the read: L1 is only filled if no invalidation happened since. */
  gen: number;
  /** When the read was sent (epoch ms; 0 when unknown): an L1 fill's life counts from it. */
  at: number;
  /**
   * The versions of the caller's tags as this read saw them ('' without tags). Part of the flight
   * and load-lock keys: a caller that saw a tag invalidation never joins a load begun before it.
   */
  mark: string;
  /** A tagged entry whose tags' states are not known yet (entry is undefined until resolve()). */
  unresolved?: { entry: Entry; keys: string[] };
}

export const FAILED_READ: ReadResult = Object.freeze({ ok: false, nsVersion: 0, head: '', entry: undefined, gen: -1, at: 0, mark: '' });

export type Raw = string | Buffer | null;

/**
 * Reads entries in one round trip: MGET(versionKey, key…, tag-version keys…) on a single node; on a
 * cluster the keys live in different slots, so the GETs are sent in parallel (still one round-trip
 * time). The caller's tags (options.tags) are read along; a tagged entry whose tags' states are
 * neither among them nor in L1 costs one more read of those (resolve()).
 *
 * The hot path (CacheAside.getOrLoad) uses send() + toResult() itself, so a hit costs one promise
 * reaction; read()/readMany() are the same steps for everything else.
 */
export class EntryReader {
  private readonly versionKey: string;
  private readonly cluster: boolean;
  private readonly binary: boolean;

  constructor(
    private readonly redis: GuardedRedis,
    keys: KeyBuilder,
    namespace: string,
    private readonly serializer: Serializer,
    private readonly l1: L1Namespace | undefined,
    private readonly counters: NamespaceCounters | undefined,
    readonly tags: TagVersions,
  ) {
    this.versionKey = keys.namespaceVersionKey(namespace);
    this.cluster = isCluster(redis.client);
    this.binary = serializer.binary;
  }

  /**
   * Sends the read of one entry with the namespace version: resolves to [version, entry] raw
   * replies, rejects on a Redis failure (report it with redis.failed()), or is undefined when the
   * circuit is open (fail open without a call). On success the caller reports redis.succeeded().
   */
  send(key: string, tagKeys?: readonly string[]): Promise<Raw[]> | undefined {
    if (!this.redis.admit()) return undefined;
    // Raw bytes: only the payload of a fresh entry is ever turned into text (decodeFreshValue).
    if (!this.cluster) {
      return this.redis.command('mget', tagKeys ? [this.versionKey, key, ...tagKeys] : [this.versionKey, key], true) as Promise<Raw[]>;
    }
    const gets = [this.redis.command('get', [this.versionKey], true), this.redis.command('get', [key], true)];
    if (tagKeys) for (const t of tagKeys) gets.push(this.redis.command('get', [t], true));
    return Promise.all(gets) as Promise<Raw[]>;
  }

  /** One entry (with the versions of `tags`, the caller's); a tagged entry's tags are resolved. */
  read(key: string, tags?: readonly string[]): Promise<ReadResult> {
    const gen = this.l1 ? this.l1.generation : 0;
    const at = Date.now();
    const tagKeys = this.tags.keysOf(tags);
    const sent = this.send(key, tagKeys);
    if (sent === undefined) return Promise.resolve(FAILED_READ);
    return sent.then(
      (res) => {
        this.redis.succeeded();
        const read = this.toResult(res[0], res[1], gen, at, tagKeys, res);
        return read.unresolved ? this.resolve(read) : read;
      },
      (err: unknown) => {
        this.redis.failed(err, this.counters);
        return FAILED_READ;
      },
    );
  }

  /**
   * read() done by `attempt`, a script that also tries a load lock: it gets the version key and
   * resolves to the raw [version, entry] replies when it took the lock, null when the lock was
   * busy. Undefined where one script cannot read both (a cluster: the version key lives in another
   * slot; tags: their versions are more keys): the caller locks, then read()s.
   */
  lockAndRead(
    key: string,
    tags: readonly string[] | undefined,
    attempt: (client: RedisClient, versionKey: string) => Promise<[Raw, Raw] | null>,
  ): Promise<ReadResult | null | typeof FAILED> | undefined {
    if (this.cluster || tags?.length) return undefined;
    const gen = this.l1 ? this.l1.generation : 0;
    const at = Date.now();
    return this.redis
      .run((c) => attempt(c, this.versionKey), this.counters)
      .then((res) => {
        if (res === FAILED || res === null) return res;
        const read = this.toResult(res[0], res[1], gen, at);
        return read.unresolved ? this.resolve(read) : read;
      });
  }

  /** read() for many keys in one round trip (the tags' versions once for all); undefined when Redis failed. */
  async readMany(keys: readonly string[], tags?: readonly string[]): Promise<ReadResult[] | undefined> {
    const gen = this.l1 ? this.l1.generation : 0;
    const at = Date.now();
    const tagKeys = this.tags.keysOf(tags);
    const res = await this.redis.run((c) => this.fetch(c, tagKeys ? [...keys, ...tagKeys] : keys), this.counters);
    if (res === FAILED) return undefined;
    const from = keys.length + 1;
    const states = tagKeys ? this.tags.statesOf(tagKeys, res, from, gen, at) : undefined;
    const mark = tagKeys ? tagMark(res, from, tagKeys.length) : '';
    const out = new Array<ReadResult>(keys.length);
    for (let i = 0; i < keys.length; i++) out[i] = this.toResultWith(res[0], res[i + 1], gen, at, states, mark);
    return this.resolveMany(out, gen);
  }

  /** `reads` with every entry that waits for its tags' states judged, after one read of all those tags. */
  async resolveMany(reads: ReadResult[], gen: number): Promise<ReadResult[]> {
    let unknown: Set<string> | undefined;
    for (const r of reads) if (r.unresolved) for (const k of r.unresolved.keys) (unknown ??= new Set()).add(k);
    if (unknown === undefined) return reads;
    // The tags of entries the caller did not name: one more read for all of them.
    const more = await this.tags.load([...unknown], gen);
    return reads.map((r) => (r.unresolved ? this.judged(r, more) : r));
  }

  /**
   * The raw replies of untagged `keys`, the namespace version first (what readMany judges): for a
   * caller that takes the fresh values straight from them (decodeFreshValue) and judges only the
   * rest with toResult(). Undefined when Redis failed.
   */
  async fetchMany(keys: readonly string[]): Promise<Raw[] | undefined> {
    const res = await this.redis.run((c) => this.fetch(c, keys), this.counters);
    return res === FAILED ? undefined : res;
  }

  /** A read whose entry waits for its tags' states: reads them (one MGET per slot) and judges it. */
  async resolve(read: ReadResult): Promise<ReadResult> {
    return this.judged(read, await this.tags.load(read.unresolved!.keys, read.gen));
  }

  /** The read with its entry judged by `states`; a miss when they could not be read (fail open: load). */
  private judged(read: ReadResult, states: TagStates | undefined): ReadResult {
    const verdict = states === undefined ? undefined : this.tags.judge(read.unresolved!.entry, states);
    return { ...read, entry: Array.isArray(verdict) ? undefined : verdict, unresolved: undefined };
  }

  /** Current namespace version, created if the key is missing (for writes); undefined when Redis failed. */
  async version(): Promise<number | undefined> {
    const res = await this.redis.run((c) => ensureNamespaceVersion(c, this.versionKey), this.counters);
    return res === FAILED ? undefined : res;
  }

  /**
   * `read` with an existing namespace version to store under: a read that found no version key
   * (NO_VERSION) gets one now, before the loader reads its source. Not ok when Redis failed.
   */
  async withVersion(read: ReadResult): Promise<ReadResult> {
    if (!read.ok || read.nsVersion !== NO_VERSION) return read;
    const v = await this.version();
    return v === undefined ? { ...read, ok: false } : { ...read, nsVersion: v };
  }

  private async fetch(c: RedisClient, keys: readonly string[]): Promise<Raw[]> {
    const binary = this.binary;
    if (!this.cluster) {
      return binary ? c.mgetBuffer(this.versionKey, ...keys) : c.mget(this.versionKey, ...keys);
    }
    // A cluster refuses an MGET across slots: one MGET per slot, all in parallel, plus the version.
    const bySlot = indexesBySlot(keys);
    const out: Raw[] = new Array<Raw>(keys.length + 1).fill(null);
    await Promise.all([
      c.get(this.versionKey).then((v) => void (out[0] = v)),
      ...[...bySlot.values()].map(async (at) => {
        const group = at.map((i) => keys[i]);
        const values: Raw[] = binary ? await c.mgetBuffer(...group) : await c.mget(...group);
        at.forEach((i, j) => (out[i + 1] = values[j] ?? null));
      }),
    ]);
    return out;
  }

  /**
   * The raw replies of one entry and the namespace version, read at `at` while the L1 generation
   * was `gen`; with `tagKeys`, `res[from…]` are their versions. A tagged entry whose tags' states
   * are unknown comes back `unresolved` (see resolve()).
   */
  toResult(rawVersion: Raw, raw: Raw, gen: number, at = 0, tagKeys?: readonly string[], res?: readonly Raw[], from = 2): ReadResult {
    if (tagKeys === undefined) return this.toResultWith(rawVersion, raw, gen, at, undefined, '');
    return this.toResultWith(
      rawVersion,
      raw,
      gen,
      at,
      this.tags.statesOf(tagKeys, res!, from, gen, at),
      tagMark(res!, from, tagKeys.length),
    );
  }

  private toResultWith(rawVersion: Raw, raw: Raw, gen: number, at: number, states: TagStates | undefined, mark: string): ReadResult {
    const nsVersion = versionOf(rawVersion);
    if (!raw) return { ok: true, nsVersion, head: '', entry: undefined, gen, at, mark };
    let entry: Entry | undefined;
    try {
      entry = decodeEntry(this.serializer, raw);
    } catch {
      entry = undefined; // undecodable payload: a miss; the reload overwrites it
    }
    const head = entry ? entry.head : headOf(raw);
    let usable = entry && entry.kind !== EntryKind.Tombstone && entry.nsVersion === nsVersion ? entry : undefined;
    if (usable?.tags !== undefined) {
      const verdict = this.tags.judge(usable, states);
      if (Array.isArray(verdict))
        return { ok: true, nsVersion, head, entry: undefined, gen, at, mark, unresolved: { entry: usable, keys: verdict } };
      usable = verdict;
    }
    return { ok: true, nsVersion, head, entry: usable, gen, at, mark };
  }
}

/** First HEAD_LENGTH bytes, as GETRANGE 0 8 returns them. */
function headOf(raw: string | Buffer): string {
  const b = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
  return b.toString('latin1', 0, HEAD_LENGTH);
}
