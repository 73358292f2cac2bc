import type { Invalidator } from '../invalidation/invalidator.js';
import type { KeyBuilder } from '../keys/key-builder.js';
import type { L1Namespace } from '../l1/l1-cache.js';
import type { GuardedRedis } from '../resilience/guarded-redis.js';
import { expireLogically } from '../redis/scripts.js';
import { decodeFreshValue, newToken, NOT_FRESH } from '../serialization/envelope.js';
import { defaultSerializer, type Serializer } from '../serialization/serializer.js';
import type { CacheStats, NamespaceCounters } from '../stats/cache-stats.js';
import type { CacheKey } from './cache-key.js';
import { EntryReader, FAILED_READ, type Raw, type ReadResult } from './entry-reader.js';
import { EntryStore } from './entry-store.js';
import { LoadLock } from './load-lock.js';
import { LoadRunner, type Loader } from './load-runner.js';
import { BatchLoad, type BatchLoader, type Wanted } from './batch-load.js';
import { SingleFlight } from './single-flight.js';
import { CacheLoadTimeoutError } from './errors.js';
import { raceDeadline } from '../resilience/circuit-breaker.js';
import { resolveOptions, type GetOrLoadOptions, type ResolvedOptions, type SetOptions } from './options.js';
import { serveStale, withinGrace } from './stale-refresh.js';
import { TagVersions } from './tag-versions.js';
import type { TagInvalidationOptions } from '../invalidation/invalidator.js';

export type { Loader, LoaderContext } from './load-runner.js';
export type { BatchLoader } from './batch-load.js';

export interface CacheAsideOptions {
  redis: GuardedRedis;
  keys: KeyBuilder;
  namespace: string;
  /** The v{N} segment of entry keys: bump it when the shape of cached values changes (default 1). */
  keyVersion?: number;
  serializer?: Serializer;
  stats: CacheStats;
  invalidator: Invalidator;
  l1?: L1Namespace;
  defaults?: GetOrLoadOptions;
  /** Load lock lease (default 10 s, or hardTimeoutMs + 1 s). */
  lockTtlMs?: number;
  /** How long a waiter polls for the lock holder's value before loading itself (default 5 s). */
  lockWaitMs?: number;
}

/**
 * Cache-aside for one namespace: the public API and the read path. Read: L1 (optional) → one Redis
 * round trip (entry + namespace version) → a fresh hit is answered here; a stale entry is served
 * while it is refreshed (stale-refresh.ts); a miss becomes one loader per key across all instances
 * (load-runner.ts: in-process single-flight, then the distributed load lock of load-lock.ts).
 * Loaded values are stored with compare-and-set on the entry head seen before loading
 * (entry-store.ts), so a load that lost a race with an invalidation or a newer write never puts its
 * old value back (see Invalidator for the design). Redis failures never reach the caller: reads fall
 * through to the loader, writes are skipped.
 */
export class CacheAside {
  readonly namespace: string;
  readonly keyVersion: number;
  private readonly keys: KeyBuilder;
  private readonly redis: GuardedRedis;
  private readonly serializer: Serializer;
  private readonly reader: EntryReader;
  private readonly tags: TagVersions;
  private readonly store: EntryStore;
  private readonly loads: LoadRunner;
  private readonly batches: BatchLoad;
  private readonly counters: NamespaceCounters;
  private readonly invalidator: Invalidator;
  private readonly l1: L1Namespace | undefined;
  private readonly defaults: ResolvedOptions;
  private readonly head: string;
  private readonly keyCache = new Map<string | number, string>();
  /** Keys whose last background refresh failed, until when no refresh is tried again. */
  private readonly refreshBackoff = new Map<string, number>();
  private readonly keyCacheMax: number;

  constructor(opts: CacheAsideOptions) {
    this.namespace = opts.namespace;
    this.keyVersion = opts.keyVersion ?? 1;
    this.keys = opts.keys;
    this.redis = opts.redis;
    this.serializer = opts.serializer ?? defaultSerializer;
    this.l1 = opts.l1;
    this.counters = opts.stats.for(opts.namespace);
    this.tags = new TagVersions(opts.redis, opts.keys, opts.namespace, opts.l1, this.counters);
    this.reader = new EntryReader(opts.redis, opts.keys, opts.namespace, this.serializer, opts.l1, this.counters, this.tags);
    this.invalidator = opts.invalidator;
    this.defaults = resolveOptions({ ttl: 60_000 }, stripUndefined(opts.defaults));
    this.store = new EntryStore(
      opts.redis,
      opts.keys,
      opts.namespace,
      this.serializer,
      opts.l1,
      this.counters,
      opts.invalidator,
      opts.stats,
      this.tags,
    );
    const lockTtlMs = opts.lockTtlMs ?? 10_000;
    const lockWaitMs = opts.lockWaitMs ?? 5_000;
    const lock = new LoadLock(
      opts.redis,
      opts.keys,
      opts.namespace,
      this.reader,
      this.counters,
      lockTtlMs,
      lockWaitMs,
      opts.invalidator.tombstoneTtl,
    );
    const flights = new SingleFlight(); // shared: a getOrLoad joins a getMany's load of its key and vice versa
    this.loads = new LoadRunner(flights, lock, this.reader, this.store, opts.invalidator, this.counters, opts.stats, opts.namespace);
    this.batches = new BatchLoad(
      flights,
      this.reader,
      this.store,
      lock,
      opts.invalidator,
      this.counters,
      opts.stats,
      lockTtlMs,
      lockWaitMs,
      opts.namespace,
    );
    this.head = opts.keys.entryHead(opts.namespace, this.keyVersion); // also validates the namespace
    if (opts.l1) opts.l1.onEarly = (k) => this.refreshEarly(k, opts.l1!);
    this.keyCacheMax = opts.l1 ? Math.min(opts.l1.store.options.max, 100_000) : KEY_CACHE_MIN;
  }

  /** The full Redis key of an entry. */
  key(key: CacheKey): string {
    return this.keys.entryFromHead(this.head, key);
  }

  /**
   * The cached value, or the loader's (stored for the next callers). Not `async` on purpose: an L1
   * hit returns an already-resolved promise (kept in the L1 entry) without an async frame or an
   * allocation, and an L2 hit costs one promise reaction on the Redis reply.
   */
  getOrLoad<T>(key: CacheKey, loader: Loader<T>, options?: GetOrLoadOptions): Promise<T> {
    const l1 = this.l1 !== undefined && (options?.l1 ?? this.defaults.l1) !== false ? this.l1 : undefined;
    if (options?.forceFresh) return this.loadFresh(key, loader, options);
    let k: string;
    try {
      k = l1 !== undefined ? this.cachedKey(key) : this.keys.entryFromHead(this.head, key);
    } catch (err) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- what the key builder threw, unchanged
      return Promise.reject(err);
    }
    let gen = 0;
    let readAt = 0;
    if (l1 !== undefined) {
      const hit = l1.getResolved(k);
      if (hit !== undefined) {
        this.counters.hits++;
        this.counters.l1Hits++;
        return hit as Promise<T>;
      }
      gen = l1.generation; // before the read: an invalidation after it keeps this value out of L1
      readAt = Date.now();
    }
    const o = options === undefined ? this.defaults : resolveOptions(this.defaults, options);
    const tagKeys = o.tags?.length ? this.tags.keysOf(o.tags) : undefined;
    const sent = this.reader.send(k, tagKeys);
    if (sent === undefined) return this.missWithoutRedis(k, loader, o, l1); // circuit open: fail open
    return sent.then(
      (res) => this.onRead(k, res, gen, readAt, loader, o, l1, tagKeys),
      (err: unknown) => {
        this.redis.failed(err, this.counters);
        return this.missWithoutRedis(k, loader, o, l1);
      },
    );
  }

  /**
   * Redis could not be read: the loader answers. If it fails too, the fail-safe answers with the
   * value L1 set aside when Redis went away (L1Options.failSafeMs), rather than an error.
   */
  private missWithoutRedis<T>(k: string, loader: Loader<T>, o: ResolvedOptions, l1: L1Namespace | undefined): Promise<T> {
    const load = this.miss(k, FAILED_READ, loader, o);
    if (l1 === undefined) return load;
    return load.catch((err: unknown) => {
      const kept = l1.failSafe(k);
      if (kept === undefined) throw err;
      this.counters.staleServes++;
      return kept.value as T;
    });
  }

  /**
   * Synchronous L1 lookup: `{ value }` when this instance's L1 holds the key now (counted as a hit,
   * like getOrLoad's), else undefined, never touching Redis. For hot paths that decide on an L1 hit
   * without waiting a turn, and call getOrLoad() otherwise. Always undefined with L1 off (for the
   * cache or, by default, for this namespace).
   */
  peek<T>(key: CacheKey): { readonly value: T } | undefined {
    if (this.l1 === undefined || this.defaults.l1 === false) return undefined;
    const box = this.l1.get(this.cachedKey(key));
    if (box === undefined) return undefined;
    this.counters.hits++;
    this.counters.l1Hits++;
    return { value: box.v as T };
  }

  /**
   * An L1 entry near the end of its L1 life was hit (L1Namespace.onEarly): it is read again from
   * Redis in the background and, when still fresh there, set anew, so a key read all the time is
   * not a miss once per L1 ttl (a miss also takes the caller's full read path). Nothing is loaded:
   * a stale or missing entry is left to expire, and the next caller's read decides. The read
   * starts a new generation check, so an invalidation meanwhile keeps its value out of L1.
   */
  private refreshEarly(k: string, l1: L1Namespace): void {
    this.reader.read(k).then(
      (read) => {
        const e = read.entry;
        const now = Date.now();
        if (e !== undefined && now < e.freshUntil)
          l1.set(k, e.value, e.freshUntil - now, read.gen, read.at, this.tags.keyed(e.tags), true, e.head);
      },
      () => undefined, // a failed read is counted by the reader; the entry expires as it would have
    );
  }

  /**
   * The entry key of a string/number key, from a small cache: an L1 hit is mostly the hash-map
   * lookup, and a key string that was hashed before makes it several times cheaper than a freshly
   * concatenated one; a getMany without L1 saves the escaping and concatenation of every key of a
   * batch asked again. Cleared when full. Its bound follows what the namespace's L1 holds (twice
   * its entries, at least KEY_CACHE_MIN, at most the L1 size; KEY_CACHE_MIN without L1): keys asked
   * once (search and filter pages, which L1 keeps only when read again) would otherwise fill it to
   * the L1 size with strings nothing reads again, megabytes of live heap under a stream of
   * distinct queries.
   */
  private cachedKey(key: CacheKey): string {
    if (typeof key === 'object') return this.keys.entryFromHead(this.head, key);
    let k = this.keyCache.get(key);
    if (k === undefined) {
      k = this.keys.entryFromHead(this.head, key);
      if (this.keyCache.size >= this.keyCacheBound()) this.keyCache.clear();
      this.keyCache.set(key, k);
    }
    return k;
  }

  /** The key cache's bound now (see cachedKey). */
  private keyCacheBound(): number {
    return Math.min(this.keyCacheMax, KEY_CACHE_MIN + 2 * (this.l1?.lru.size ?? 0));
  }

  /** Keys in the key cache (see cachedKey), for diagnostics. */
  keyCacheSize(): number {
    return this.keyCache.size;
  }

  private onRead<T>(
    k: string,
    res: Raw[],
    gen: number,
    readAt: number,
    loader: Loader<T>,
    o: ResolvedOptions,
    l1: L1Namespace | undefined,
    tagKeys: string[] | undefined,
  ): T | Promise<T> {
    this.redis.succeeded();
    const raw = res[1];
    if (l1 === undefined && raw) {
      // The common L2 hit: value straight from the reply; anything else takes the general path.
      const v = decodeFreshValue(this.serializer, raw, res[0], Date.now());
      if (v !== NOT_FRESH) {
        this.counters.hits++;
        return v as T;
      }
    }
    const read = this.reader.toResult(res[0], res[1], gen, readAt, tagKeys, res);
    // A tagged entry whose tags' versions were neither read along nor in L1: read them first.
    if (read.unresolved) return this.reader.resolve(read).then((r) => this.decide(k, r, loader, o, l1));
    return this.decide(k, read, loader, o, l1);
  }

  /** Hit, stale serve (with one refresh) or miss, for a read whose entry is judged. */
  private decide<T>(k: string, read: ReadResult, loader: Loader<T>, o: ResolvedOptions, l1: L1Namespace | undefined): T | Promise<T> {
    const e = read.entry;
    if (e !== undefined) {
      const now = Date.now();
      if (now < e.freshUntil) {
        this.counters.hits++;
        if (l1 !== undefined) l1.set(k, e.value, e.freshUntil - now, read.gen, read.at, this.tags.keyed(e.tags), true, e.head);
        return e.value as T;
      }
      if (withinGrace(e, o.staleFor, now)) {
        this.counters.hits++;
        if ((this.refreshBackoff.get(k) ?? 0) > now) {
          this.counters.staleServes++; // the last refresh failed moments ago: not again yet
          return e.value as T;
        }
        const refresh = this.loads.load(k, read, loader, o, e);
        refresh.then(
          () => this.refreshBackoff.delete(k),
          () => {
            if (this.refreshBackoff.size >= MAX_BACKOFF_KEYS) this.refreshBackoff.clear();
            this.refreshBackoff.set(k, Date.now() + (o.refreshBackoffMs ?? 5_000));
          },
        );
        return serveStale(refresh, e.value as T, o.softTimeoutMs, this.counters);
      }
    }
    return this.miss(k, read, loader, o);
  }

  /** forceFresh: the loader runs whatever is cached; its value is stored compare-and-set as usual. */
  private async loadFresh<T>(key: CacheKey, loader: Loader<T>, options: GetOrLoadOptions): Promise<T> {
    const o = resolveOptions(this.defaults, options);
    const k = this.key(key);
    const read = await this.reader.read(k, o.tags);
    this.counters.misses++;
    return this.loads.load(k, read, loader, o, undefined);
  }

  /**
   * Logical expiry: the entry is no longer fresh, but stays for its grace period (staleFor), where
   * it is still answered while one caller refreshes it; without staleFor the next read reloads.
   * Dropped from every L1. Resolves false when there was no entry (or Redis failed).
   */
  async expire(key: CacheKey): Promise<boolean> {
    const k = this.key(key);
    const res = await this.redis.run((c) => expireLogically(c, k, newToken()), this.counters);
    await this.invalidator.broadcastKeys(this.namespace, [k]);
    return res === 1;
  }

  private miss<T>(k: string, read: ReadResult, loader: Loader<T>, o: ResolvedOptions): Promise<T> {
    this.counters.misses++;
    return this.loads.load(k, read, loader, o, undefined);
  }

  /** The cached value, or undefined on a miss (a cached null is returned as null). Stale entries count as misses. */
  async get<T>(key: CacheKey, options?: { l1?: boolean }): Promise<T | undefined> {
    const k = this.key(key);
    const l1 = options?.l1 === false ? undefined : this.l1;
    const box = l1?.get(k);
    if (box !== undefined) {
      this.counters.hits++;
      this.counters.l1Hits++;
      return box.v as T;
    }
    const read = await this.reader.read(k);
    const e = read.entry;
    const now = Date.now();
    if (e !== undefined && now < e.freshUntil) {
      this.counters.hits++;
      l1?.set(k, e.value, e.freshUntil - now, read.gen, read.at, this.tags.keyed(e.tags), true, e.head);
      return e.value as T;
    }
    this.counters.misses++;
    return undefined;
  }

  /** Several entries in one round trip; undefined where missing. */
  async mget<T>(keys: readonly CacheKey[]): Promise<(T | undefined)[]> {
    const full = keys.map((k) => this.key(k));
    const out: (T | undefined)[] = new Array<T | undefined>(full.length).fill(undefined); // dense, no holes
    const todo: number[] = [];
    for (let i = 0; i < full.length; i++) {
      const box = this.l1?.get(full[i]);
      if (box !== undefined) {
        this.counters.hits++;
        this.counters.l1Hits++;
        out[i] = box.v as T;
      } else todo.push(i);
    }
    if (todo.length === 0) return out;
    const reads = await this.reader.readMany(todo.map((i) => full[i]));
    const now = Date.now();
    for (let j = 0; j < todo.length; j++) {
      const r = reads?.[j];
      const e = r?.entry;
      if (e !== undefined && now < e.freshUntil) {
        this.counters.hits++;
        out[todo[j]] = e.value as T;
        this.l1?.set(full[todo[j]], e.value, e.freshUntil - now, r!.gen, r!.at, this.tags.keyed(e.tags), true, e.head);
      } else this.counters.misses++;
    }
    return out;
  }

  /**
   * getOrLoad for many keys: answers in the order of `keys` (undefined where not found). L1 first,
   * then one read for the rest (one MGET per hash slot on a cluster); the loader is called once,
   * with only the keys that missed, under the same stampede protection as getOrLoad (see
   * BatchLoad). Stale entries within staleFor are answered and refreshed in the background.
   */
  async getMany<T>(keys: readonly CacheKey[], loader: BatchLoader<T>, options?: GetOrLoadOptions): Promise<(T | undefined)[]> {
    const o = options === undefined ? this.defaults : resolveOptions(this.defaults, options);
    const l1 = this.l1 !== undefined && o.l1 !== false ? this.l1 : undefined;
    if (l1 === undefined && !o.tags?.length) return this.getManyFromReplies(keys, loader, o);
    const out = new Array<T | undefined>(keys.length).fill(undefined);
    const todo: Todo = new Map();
    for (let i = 0; i < keys.length; i++) {
      const k = this.cachedKey(keys[i]);
      const box = l1?.get(k);
      if (box !== undefined) {
        this.counters.hits++;
        this.counters.l1Hits++;
        out[i] = box.v as T;
        continue;
      }
      addTodo(todo, k, keys, i);
    }
    if (todo.size === 0) return out;
    const ks = [...todo.keys()];
    const reads = await this.reader.readMany(ks, o.tags);
    return this.judgeMany(ks, reads ?? [], todo, out, loader, o, l1);
  }

  /**
   * getMany without L1 or tags, the common L2 batch: one MGET of the keys as given (a key named
   * twice is read twice, cheaper than a map of every key per call), each fresh value straight from
   * its reply as getOrLoad's hit does (no Entry or ReadResult per key). Only the others (misses,
   * stale, other versions, tagged, negative or corrupt entries) are deduplicated and judged by the
   * general path, so the loader still sees each key once.
   */
  private async getManyFromReplies<T>(keys: readonly CacheKey[], loader: BatchLoader<T>, o: ResolvedOptions): Promise<(T | undefined)[]> {
    const n = keys.length;
    if (n === 0) return [];
    const ks = new Array<string>(n);
    for (let i = 0; i < n; i++) ks[i] = this.cachedKey(keys[i]);
    const out = new Array<T | undefined>(n).fill(undefined);
    const at = Date.now();
    const raws = await this.reader.fetchMany(ks);
    const todo: Todo = new Map();
    if (raws === undefined) {
      for (let i = 0; i < n; i++) addTodo(todo, ks[i], keys, i);
      return this.judgeMany([...todo.keys()], [], todo, out, loader, o, undefined);
    }
    const version = raws[0];
    const now = Date.now();
    const restKeys: string[] = [];
    const restReads: ReadResult[] = [];
    for (let i = 0; i < n; i++) {
      const raw = raws[i + 1];
      const v = raw ? decodeFreshValue(this.serializer, raw, version, now) : NOT_FRESH;
      if (v !== NOT_FRESH) {
        this.counters.hits++;
        out[i] = v as T;
      } else if (addTodo(todo, ks[i], keys, i)) {
        restKeys.push(ks[i]);
        restReads.push(this.reader.toResult(raws[0], raw, 0, at));
      }
    }
    if (restKeys.length === 0) return out;
    // A tagged entry (stored with tags this call did not name) waits for its tags' states.
    return this.judgeMany(restKeys, await this.reader.resolveMany(restReads, 0), todo, out, loader, o, undefined);
  }

  /** The rest of getMany for keys `ks` read as `reads` (missing: Redis failed): hits, stale serves, one batch load. */
  private async judgeMany<T>(
    ks: readonly string[],
    reads: readonly ReadResult[],
    todo: Todo,
    out: (T | undefined)[],
    loader: BatchLoader<T>,
    o: ResolvedOptions,
    l1: L1Namespace | undefined,
  ): Promise<(T | undefined)[]> {
    const now = Date.now();
    const missing: Wanted[] = [];
    const stale: Wanted[] = [];
    ks.forEach((k, j) => {
      const read = reads[j] ?? FAILED_READ;
      const e = read.entry;
      const { key, at } = todo.get(k)!;
      if (e !== undefined && (now < e.freshUntil || withinGrace(e, o.staleFor, now))) {
        this.counters.hits++;
        for (const i of at) out[i] = e.value as T;
        if (now < e.freshUntil) l1?.set(k, e.value, e.freshUntil - now, read.gen, read.at, this.tags.keyed(e.tags), true, e.head);
        else {
          this.counters.staleServes++;
          stale.push({ key, k, read });
        }
      } else {
        this.counters.misses++;
        missing.push({ key, k, read });
      }
    });
    if (stale.length) this.batches.load(stale, loader, o).catch(() => undefined); // counted by the load
    if (missing.length === 0) return out;
    const work = this.batches.load(missing, loader, o);
    const values = o.hardTimeoutMs
      ? await raceDeadline(work, o.hardTimeoutMs, () => {
          work.catch(() => undefined);
          throw new CacheLoadTimeoutError(missing[0].k, o.hardTimeoutMs!);
        })
      : await work;
    for (const m of missing) for (const i of todo.get(m.k)!.at) out[i] = values.get(m.k);
    return out;
  }

  /** set() for many entries: one version read, the writes in one round trip, one L1 broadcast. */
  async setMany<T>(entries: readonly (readonly [CacheKey, T])[], options?: SetOptions): Promise<boolean> {
    if (entries.length === 0) return true;
    const o = options ? resolveOptions(this.defaults, options) : this.defaults;
    const nsVersion = await this.reader.version();
    if (nsVersion === undefined) return false;
    return this.store.writeMany(
      entries.map(([key, value]) => [this.key(key), value] as const),
      nsVersion,
      o,
    );
  }

  /** delete() for many entries (one batch of tombstones, one broadcast). */
  deleteMany(keys: readonly CacheKey[]): Promise<boolean> {
    return this.invalidator.invalidateKeys(
      this.namespace,
      keys.map((key) => this.key(key)),
    );
  }

  /** Unconditional write (e.g. a freshly committed value). Resolves false when it could not be stored. */
  async set<T>(key: CacheKey, value: T, options?: SetOptions): Promise<boolean> {
    const o = options ? resolveOptions(this.defaults, options) : this.defaults;
    const k = this.key(key);
    const nsVersion = await this.reader.version();
    if (nsVersion === undefined) return false;
    return this.store.write(k, nsVersion, value, o);
  }

  /** Invalidates one entry (tombstone: loads in flight cannot write it back). */
  delete(key: CacheKey): Promise<boolean> {
    return this.invalidator.invalidateKeys(this.namespace, [this.key(key)]);
  }

  /**
   * Invalidates every entry carrying `tag`. `{ soft: true }`: O(1), entries become stale (served
   * within staleFor while one caller refreshes each); default: hard (a miss at once), also
   * tombstoning the tag's recorded keys unless `sweep: false` (then O(1) too). See Invalidator.
   */
  invalidateTag(tag: string, options?: TagInvalidationOptions): Promise<boolean> {
    return this.invalidator.invalidateTag(this.namespace, tag, options);
  }

  invalidateAll(): Promise<boolean> {
    return this.invalidator.invalidateNamespace(this.namespace);
  }
}

/** getMany's keys still to judge: each distinct Redis key once, with the key asked for and where it goes in the answer. */
type Todo = Map<string, { key: CacheKey; at: number[] }>;

/** Records that `keys[i]` (Redis key `k`) is still to judge; true when `k` is new to `todo`. */
function addTodo(todo: Todo, k: string, keys: readonly CacheKey[], i: number): boolean {
  const t = todo.get(k);
  if (t !== undefined) {
    t.at.push(i);
    return false;
  }
  todo.set(k, { key: keys[i], at: [i] });
  return true;
}

/** Bound on keys in refresh backoff (past it the map starts over: at worst one extra refresh each). */
const MAX_BACKOFF_KEYS = 10_000;
/** The key cache's bound when the namespace's L1 is (nearly) empty (see CacheAside.cachedKey). */
const KEY_CACHE_MIN = 1_024;

function stripUndefined<T extends object>(o: T | undefined): Partial<T> {
  const out: Partial<T> = {};
  if (o) for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
