import type { KeyBuilder } from '../keys/key-builder.js';
import type { L1Namespace } from '../l1/l1-cache.js';
import { isCluster, type RedisClient } from '../redis/connection.js';
import { FAILED, type GuardedRedis } from '../resilience/guarded-redis.js';
import calculateSlot from 'cluster-key-slot';
import { ensureNamespaceVersion } from '../redis/scripts.js';
import { decodeEntry, EntryKind, HEAD_LENGTH, NO_VERSION, versionOf, type Entry } from '../serialization/envelope.js';
import type { Serializer } from '../serialization/serializer.js';
import type { NamespaceCounters } from '../stats/cache-stats.js';

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
}

export const FAILED_READ: ReadResult = Object.freeze({ ok: false, nsVersion: 0, head: '', entry: undefined, gen: -1, at: 0 });

export type Raw = string | Buffer | null;

/**
 * Reads entries in one round trip: MGET(versionKey, key…) on a single node; on a cluster the keys
 * live in different slots, so the GETs are sent in parallel (still one round-trip time).
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
    private readonly counters?: NamespaceCounters,
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
  send(key: string): Promise<Raw[]> | undefined {
    if (!this.redis.admit()) return undefined;
    // Raw bytes: only the payload of a fresh entry is ever turned into text (decodeFreshValue).
    if (!this.cluster) return this.redis.command('mget', [this.versionKey, key], true) as Promise<Raw[]>;
    return Promise.all([this.redis.command('get', [this.versionKey], true), this.redis.command('get', [key], true)]) as Promise<Raw[]>;
  }

  read(key: string): Promise<ReadResult> {
    const gen = this.l1 ? this.l1.generation : 0;
    const at = Date.now();
    const sent = this.send(key);
    if (sent === undefined) return Promise.resolve(FAILED_READ);
    return sent.then(
      (res) => {
        this.redis.succeeded();
        return this.toResult(res[0]!, res[1]!, gen, at);
      },
      (err: unknown) => {
        this.redis.failed(err, this.counters);
        return FAILED_READ;
      },
    );
  }

  async readMany(keys: readonly string[]): Promise<ReadResult[] | undefined> {
    const gen = this.l1 ? this.l1.generation : 0;
    const at = Date.now();
    const res = await this.redis.run((c) => this.fetch(c, keys), this.counters);
    if (res === FAILED) return undefined;
    const out: ReadResult[] = new Array(keys.length);
    for (let i = 0; i < keys.length; i++) out[i] = this.toResult(res[0]!, res[i + 1]!, gen, at);
    return out;
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
    const bySlot = new Map<number, number[]>();
    keys.forEach((k, i) => {
      const slot = calculateSlot(k);
      const at = bySlot.get(slot);
      if (at) at.push(i);
      else bySlot.set(slot, [i]);
    });
    const out: Raw[] = new Array<Raw>(keys.length + 1).fill(null);
    await Promise.all([
      c.get(this.versionKey).then((v) => void (out[0] = v)),
      ...[...bySlot.values()].map(async (at) => {
        const group = at.map((i) => keys[i]!);
        const values: Raw[] = binary ? await c.mgetBuffer(...group) : await c.mget(...group);
        at.forEach((i, j) => (out[i + 1] = values[j] ?? null));
      }),
    ]);
    return out;
  }

  /** The raw replies of one entry and the namespace version, read at `at` while the L1 generation was `gen`. */
  toResult(rawVersion: Raw, raw: Raw, gen: number, at = 0): ReadResult {
    const nsVersion = versionOf(rawVersion);
    if (!raw) return { ok: true, nsVersion, head: '', entry: undefined, gen, at };
    let entry: Entry | undefined;
    try {
      entry = decodeEntry(this.serializer, raw);
    } catch {
      entry = undefined; // undecodable payload: a miss; the reload overwrites it
    }
    const head = entry ? entry.head : headOf(raw);
    const usable = entry && entry.kind !== EntryKind.Tombstone && entry.nsVersion === nsVersion ? entry : undefined;
    return { ok: true, nsVersion, head, entry: usable, gen, at };
  }
}

/** First HEAD_LENGTH bytes, as GETRANGE 0 8 returns them. */
function headOf(raw: string | Buffer): string {
  const b = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
  return b.toString('latin1', 0, HEAD_LENGTH);
}
