import type { Invalidator } from '../invalidation/invalidator.js';
import type { KeyBuilder } from '../keys/key-builder.js';
import type { L1Namespace } from '../l1/l1-cache.js';
import { withScripts, type CacheScripts } from '../redis/scripts.js';
import { raceDeadline } from '../resilience/circuit-breaker.js';
import { FAILED, type GuardedRedis } from '../resilience/guarded-redis.js';
import { decodeFreshValue, EntryKind, encodeEntry, newToken, NOT_FRESH, versionOf, type Entry } from '../serialization/envelope.js';
import { defaultSerializer, type Serializer } from '../serialization/serializer.js';
import type { CacheStats, NamespaceCounters } from '../stats/cache-stats.js';
import type { CacheKey } from './cache-key.js';
import { EntryReader, FAILED_READ, type Raw, type ReadResult } from './entry-reader.js';
import { CacheLoadTimeoutError } from './errors.js';
import { jitteredTtl, resolveOptions, type GetOrLoadOptions, type ResolvedOptions, type SetOptions } from './options.js';

export interface LoaderContext<T> {
  /** Aborted when hardTimeoutMs elapses. */
  signal: AbortSignal;
  /** The stale value being refreshed, if any. */
  stale?: T;
}
export type Loader<T> = (ctx: LoaderContext<T>) => Promise<T> | T;

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

const NEVER_ABORTED = new AbortController().signal;
const noop = (): void => {};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type WaitOutcome = { hit: Entry } | { token?: string; lockKey?: string; read: ReadResult };

/**
 * Cache-aside for one namespace. Read path: L1 (optional) → one Redis round trip (entry + namespace
 * version) → on a miss, one loader per key across all instances: in-process single-flight, then a
 * SET NX PX lock with a token; waiters poll the entry and load themselves after lockWaitMs.
 * Stores are compare-and-set on the entry head seen before loading, so a load that lost a race with
 * an invalidation or a newer write never puts its old value back (see Invalidator for the design).
 * Redis failures never reach the caller: reads fall through to the loader, writes are skipped.
 */
export class CacheAside {
  readonly namespace: string;
  readonly keyVersion: number;
  private readonly keys: KeyBuilder;
  private readonly redis: GuardedRedis;
  private readonly scripts: CacheScripts;
  private readonly serializer: Serializer;
  private readonly reader: EntryReader;
  private readonly counters: NamespaceCounters;
  private readonly invalidator: Invalidator;
  private readonly l1: L1Namespace | undefined;
  private readonly defaults: ResolvedOptions;
  private readonly lockTtlMs: number;
  private readonly lockWaitMs: number;
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly head: string;
  private readonly keyCache = new Map<string | number, string>();
  private readonly keyCacheMax: number;

  constructor(opts: CacheAsideOptions) {
    this.namespace = opts.namespace;
    this.keyVersion = opts.keyVersion ?? 1;
    this.keys = opts.keys;
    this.redis = opts.redis;
    this.scripts = withScripts(opts.redis.client);
    this.serializer = opts.serializer ?? defaultSerializer;
    this.l1 = opts.l1;
    this.counters = opts.stats.for(opts.namespace);
    this.reader = new EntryReader(opts.redis, opts.keys, opts.namespace, this.serializer, opts.l1, this.counters);
    this.invalidator = opts.invalidator;
    this.defaults = { ttl: 60_000, ...stripUndefined(opts.defaults) };
    this.lockTtlMs = opts.lockTtlMs ?? 10_000;
    this.lockWaitMs = opts.lockWaitMs ?? 5_000;
    this.head = opts.keys.entryHead(opts.namespace, this.keyVersion); // also validates the namespace
    this.keyCacheMax = Math.min(opts.l1?.store.options.max ?? 0, 100_000);
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
    let k: string;
    try {
      k = l1 !== undefined ? this.l1Key(key) : this.keys.entryFromHead(this.head, key);
    } catch (err) {
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
    const sent = this.reader.send(k);
    if (sent === undefined) return this.miss(k, FAILED_READ, loader, o); // circuit open: fail open
    return sent.then(
      (res) => this.onRead(k, res, gen, readAt, loader, o, l1),
      (err: unknown) => {
        this.redis.failed(err, this.counters);
        return this.miss(k, FAILED_READ, loader, o);
      },
    );
  }

  /**
   * Synchronous L1 lookup: `{ value }` when this instance's L1 holds the key now (counted as a hit,
   * like getOrLoad's), else undefined, never touching Redis. For hot paths that decide on an L1 hit
   * without waiting a turn, and call getOrLoad() otherwise. Always undefined with L1 off (for the
   * cache or, by default, for this namespace).
   */
  peek<T>(key: CacheKey): { readonly value: T } | undefined {
    if (this.l1 === undefined || this.defaults.l1 === false) return undefined;
    const box = this.l1.get(this.l1Key(key));
    if (box === undefined) return undefined;
    this.counters.hits++;
    this.counters.l1Hits++;
    return { value: box.v as T };
  }

  /**
   * The entry key of a string/number key, from a small cache when L1 is on: an L1 hit is mostly the
   * hash-map lookup, and a key string that was hashed before makes it several times cheaper than a
   * freshly concatenated one. Cleared when full (its bound is the L1 size).
   */
  private l1Key(key: CacheKey): string {
    if (typeof key === 'object') return this.keys.entryFromHead(this.head, key);
    let k = this.keyCache.get(key);
    if (k === undefined) {
      k = this.keys.entryFromHead(this.head, key);
      if (this.keyCache.size >= this.keyCacheMax) this.keyCache.clear();
      this.keyCache.set(key, k);
    }
    return k;
  }

  private onRead<T>(k: string, res: Raw[], gen: number, readAt: number, loader: Loader<T>, o: ResolvedOptions, l1: L1Namespace | undefined): T | Promise<T> {
    this.redis.succeeded();
    const raw = res[1];
    if (l1 === undefined && raw) {
      // The common L2 hit: value straight from the reply; anything else takes the general path.
      const v = decodeFreshValue(this.serializer, raw, versionOf(res[0]!), Date.now());
      if (v !== NOT_FRESH) {
        this.counters.hits++;
        return v as T;
      }
    }
    const read = this.reader.toResult(res[0]!, res[1]!, gen, readAt);
    const e = read.entry;
    if (e !== undefined) {
      const now = Date.now();
      if (now < e.freshUntil) {
        this.counters.hits++;
        if (l1 !== undefined) l1.set(k, e.value, e.freshUntil - now, gen, readAt);
        return e.value as T;
      }
      if (o.staleFor) return this.serveStale(k, read, e, loader, o);
    }
    return this.miss(k, read, loader, o);
  }

  private miss<T>(k: string, read: ReadResult, loader: Loader<T>, o: ResolvedOptions): Promise<T> {
    this.counters.misses++;
    return this.load(k, read, loader, o, undefined);
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
      l1?.set(k, e.value, e.freshUntil - now, read.gen, read.at);
      return e.value as T;
    }
    this.counters.misses++;
    return undefined;
  }

  /** Several entries in one round trip; undefined where missing. */
  async mget<T>(keys: readonly CacheKey[]): Promise<(T | undefined)[]> {
    const full = keys.map((k) => this.key(k));
    const out: (T | undefined)[] = new Array(full.length);
    const todo: number[] = [];
    for (let i = 0; i < full.length; i++) {
      const box = this.l1?.get(full[i]!);
      if (box !== undefined) {
        this.counters.hits++;
        this.counters.l1Hits++;
        out[i] = box.v as T;
      } else todo.push(i);
    }
    if (todo.length === 0) return out;
    const reads = await this.reader.readMany(todo.map((i) => full[i]!));
    const now = Date.now();
    for (let j = 0; j < todo.length; j++) {
      const r = reads?.[j];
      const e = r?.entry;
      if (e !== undefined && now < e.freshUntil) {
        this.counters.hits++;
        out[todo[j]!] = e.value as T;
        this.l1?.set(full[todo[j]!]!, e.value, e.freshUntil - now, r!.gen, r!.at);
      } else this.counters.misses++;
    }
    return out;
  }

  /** Unconditional write (e.g. a freshly committed value). Resolves false when it could not be stored. */
  async set<T>(key: CacheKey, value: T, options?: SetOptions): Promise<boolean> {
    const o = options ? resolveOptions(this.defaults, options) : this.defaults;
    const k = this.key(key);
    const nsVersion = await this.reader.version();
    if (nsVersion === undefined) return false;
    if (o.tags?.length && !(await this.addTags(k, o))) return false;
    const fresh = jitteredTtl(o.ttl, o.jitter);
    let payload: string | Buffer;
    try {
      payload = encodeEntry(this.serializer, EntryKind.Value, newToken(), nsVersion, Date.now() + fresh, value);
    } catch {
      this.counters.errors++;
      return false;
    }
    const res = await this.redis.run((c) => c.set(k, payload, 'PX', fresh + (o.staleFor ?? 0)), this.counters);
    // Other instances may hold the previous value in L1 (ours too): drop it everywhere.
    await this.invalidator.broadcastKeys(this.namespace, [k]);
    return res !== FAILED;
  }

  /** Invalidates one entry (tombstone: loads in flight cannot write it back). */
  delete(key: CacheKey): Promise<boolean> {
    return this.invalidator.invalidateKeys(this.namespace, [this.key(key)]);
  }

  invalidateTag(tag: string): Promise<boolean> {
    return this.invalidator.invalidateTag(this.namespace, tag);
  }

  invalidateAll(): Promise<boolean> {
    return this.invalidator.invalidateNamespace(this.namespace);
  }

  private serveStale<T>(k: string, read: ReadResult, e: Entry, loader: Loader<T>, o: ResolvedOptions): Promise<T> {
    this.counters.hits++;
    const refresh = this.load(k, read, loader, o, e);
    if (!o.softTimeoutMs) {
      refresh.catch(noop);
      this.counters.staleServes++;
      return Promise.resolve(e.value as T);
    }
    return raceDeadline(refresh, o.softTimeoutMs, () => {
      this.counters.staleServes++;
      return e.value as T;
    });
  }

  /**
   * In-process single-flight. The flight key includes the namespace version and entry head the
   * caller saw, so a caller that already observed an invalidation never joins a load started before it.
   */
  private load<T>(k: string, read: ReadResult, loader: Loader<T>, o: ResolvedOptions, stale: Entry | undefined): Promise<T> {
    const flightKey = read.ok ? `${k}|${read.nsVersion}|${read.head}` : `${k}|!`;
    let p = this.inflight.get(flightKey) as Promise<T> | undefined;
    if (p === undefined) {
      p = this.runLoad(k, read, loader, o, stale).finally(() => this.inflight.delete(flightKey));
      this.inflight.set(flightKey, p);
    }
    return p;
  }

  private async runLoad<T>(k: string, read: ReadResult, loader: Loader<T>, o: ResolvedOptions, stale: Entry | undefined): Promise<T> {
    let expected = read;
    let lockKey: string | undefined;
    let token: string | undefined;
    if (read.ok && o.lock !== false) {
      const outcome = await this.acquireOrWait(k, read, o);
      if ('hit' in outcome) return outcome.hit.value as T;
      token = outcome.token;
      lockKey = outcome.lockKey;
      expected = outcome.read;
    }
    try {
      // Tag membership is recorded before the loader reads the source, so a concurrent tag
      // invalidation either sees this key or happened before the read (see Invalidator).
      const tagged = expected.ok && o.tags?.length ? await this.addTags(k, o) : true;
      const started = Date.now();
      this.counters.loads++;
      let value: T;
      try {
        value = await this.callLoader(k, loader, o, stale);
      } catch (err) {
        if (stale !== undefined) {
          this.counters.staleServes++;
          return stale.value as T; // fail-safe: a stale value beats an error
        }
        throw err;
      } finally {
        this.counters.loadTimeMsTotal += Date.now() - started;
      }
      // A load older than the tombstone lifetime could outlive the tombstone that guards it.
      if (expected.ok && tagged && Date.now() - started < this.invalidator.tombstoneTtl) {
        await this.store(k, expected, value, o);
      }
      return value;
    } finally {
      if (token !== undefined) void this.redis.run((c) => this.scripts.cacheRelease(lockKey!, token!));
    }
  }

  /**
   * The load lock is per (entry, observed state): instances that saw the same entry head and
   * namespace version share one loader, while a caller that already saw an invalidation never waits
   * for a load started before it (that load's store is doomed to fail its compare-and-set).
   */
  private lockKeyFor(k: string, r: ReadResult): string {
    return `${this.keys.lockFor(this.namespace, k)}:${r.nsVersion}:${r.head || '-'}`;
  }

  /** SET NX PX; if busy, poll the entry (backoff 10→100 ms) until the holder stored it, the lock frees, or lockWaitMs. */
  private async acquireOrWait(k: string, read: ReadResult, o: ResolvedOptions): Promise<WaitOutcome> {
    const token = newToken() + newToken();
    const ttl = o.hardTimeoutMs ? o.hardTimeoutMs + 1_000 : this.lockTtlMs;
    const deadline = Date.now() + this.lockWaitMs;
    let latest = read;
    let delay = 10;
    for (;;) {
      const lockKey = this.lockKeyFor(k, latest);
      const got = await this.redis.run((c) => c.set(lockKey, token, 'PX', ttl, 'NX'), this.counters);
      if (got === FAILED) return { read: latest };
      if (got === 'OK') {
        // Double-check: the previous holder may have stored between our read and our SET NX.
        const again = await this.reader.read(k);
        const e = again.entry;
        if (e !== undefined && Date.now() < e.freshUntil) {
          void this.redis.run(() => this.scripts.cacheRelease(lockKey, token));
          return { hit: e };
        }
        return { token, lockKey, read: again.ok ? again : latest };
      }
      if (Date.now() >= deadline) return { read: latest };
      await sleep(delay);
      delay = Math.min(delay * 1.5, 100);
      const again = await this.reader.read(k);
      const e = again.entry;
      if (e !== undefined && Date.now() < e.freshUntil) return { hit: e };
      if (!again.ok) return { read: latest };
      latest = again;
    }
  }

  private callLoader<T>(k: string, loader: Loader<T>, o: ResolvedOptions, stale: Entry | undefined): Promise<T> {
    const staleValue = stale?.value as T | undefined;
    if (!o.hardTimeoutMs) {
      try {
        return Promise.resolve(loader({ signal: NEVER_ABORTED, stale: staleValue }));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    const ms = o.hardTimeoutMs;
    const ac = new AbortController();
    const work = new Promise<T>((r) => r(loader({ signal: ac.signal, stale: staleValue })));
    return raceDeadline(work, ms, () => {
      const err = new CacheLoadTimeoutError(k, ms);
      ac.abort(err);
      throw err;
    });
  }

  private async store<T>(k: string, expected: ReadResult, value: T, o: ResolvedOptions): Promise<void> {
    const miss = value === undefined || (value === null && o.nullIsMiss === true);
    if (miss && !o.negativeTtl) return;
    const fresh = miss ? o.negativeTtl! : jitteredTtl(o.ttl, o.jitter);
    const px = miss ? fresh : fresh + (o.staleFor ?? 0);
    let payload: string | Buffer;
    try {
      payload = encodeEntry(this.serializer, miss ? EntryKind.Negative : EntryKind.Value, newToken(), expected.nsVersion, Date.now() + fresh, value);
    } catch {
      this.counters.errors++; // not serializable: serve it uncached
      return;
    }
    const stored = await this.redis.run(() => this.scripts.cacheCasSet(k, expected.head, payload, px), this.counters);
    if (stored === 1 && o.l1 !== false) this.l1?.set(k, miss ? undefined : value, fresh, expected.gen);
  }

  private async addTags(k: string, o: ResolvedOptions): Promise<boolean> {
    const life = Math.max(o.ttl + (o.staleFor ?? 0), o.negativeTtl ?? 0) + 60_000;
    const res = await this.redis.run((c) =>
      Promise.all(o.tags!.map((t) => this.scripts.cacheTagAdd(this.keys.tag(this.namespace, t), life, k))),
    );
    return res !== FAILED;
  }
}

function stripUndefined<T extends object>(o: T | undefined): Partial<T> {
  const out: Partial<T> = {};
  if (o) for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
