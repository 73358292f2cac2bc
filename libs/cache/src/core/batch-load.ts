import type { Invalidator } from '../invalidation/invalidator.js';
import { FAILED } from '../resilience/guarded-redis.js';
import { NO_VERSION } from '../serialization/envelope.js';
import type { CacheStats, NamespaceCounters } from '../stats/cache-stats.js';
import type { CacheKey } from './cache-key.js';
import type { EntryReader, ReadResult } from './entry-reader.js';
import type { EntryStore } from './entry-store.js';
import { CacheLoadTimeoutError } from './errors.js';
import { traceLoad } from '../telemetry/open-telemetry.js';
import type { HeldLock, LoadLock } from './load-lock.js';
import type { ResolvedOptions } from './options.js';
import { flightKey, type SingleFlight } from './single-flight.js';

/**
 * Loads many entries with one call: gets the keys that missed (as the caller passed them) and
 * answers their values, either in the same order or as a Map keyed by those keys; undefined (or
 * absent) = not found.
 */
export type BatchLoader<T> = (
  keys: CacheKey[],
  ctx: { signal: AbortSignal },
) => Promise<ReadonlyMap<CacheKey, T | undefined> | readonly (T | undefined)[]>;

/** One entry a batch needs: the caller's key, its Redis key, and what the read found. */
export interface Wanted {
  key: CacheKey;
  k: string;
  read: ReadResult;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const noop = (): void => {};

/**
 * getMany's miss path: the same stampede protection as a single getOrLoad, for many keys at once.
 * - In process: keys another call is already loading (getOrLoad or getMany) join that load.
 * - Across processes: one SET NX per key in one round trip; the loader is called once, with the
 *   keys whose locks we got. Keys locked by someone else are polled (one read for all of them)
 *   until their holder stored them; a key whose lock frees without a value, or whose wait runs out,
 *   is loaded by a second loader call.
 * - Values are stored compare-and-set against the entry seen before loading, like getOrLoad's, so
 *   a batch that lost a race with an invalidation never puts its old values back.
 */
export class BatchLoad {
  constructor(
    private readonly flights: SingleFlight,
    private readonly reader: EntryReader,
    private readonly store: EntryStore,
    private readonly lock: LoadLock,
    private readonly invalidator: Invalidator,
    private readonly counters: NamespaceCounters,
    private readonly stats: CacheStats,
    private readonly lockTtlMs: number,
    private readonly lockWaitMs: number,
    private readonly namespace: string,
  ) {}

  /** Values of `wanted` (distinct Redis keys) by Redis key. */
  async load<T>(wanted: Wanted[], loader: BatchLoader<T>, o: ResolvedOptions): Promise<Map<string, T | undefined>> {
    const out = new Map<string, T | undefined>();
    const work: Promise<void>[] = [];
    const mine: Wanted[] = [];
    for (const w of wanted) {
      const flight = this.flights.join<T | undefined>(flightKey(w.k, w.read));
      if (flight) work.push(flight.then((v) => void out.set(w.k, v)));
      else mine.push(w);
    }
    if (mine.length) work.push(this.loadMine(mine, loader, o, out));
    // One await for all of them: when several fail, every rejection is handled (none is left unhandled).
    await Promise.all(work);
    return out;
  }

  /** Loads the keys nobody in this process is loading yet, as flights that others can join. */
  private async loadMine<T>(mine: Wanted[], loader: BatchLoader<T>, o: ResolvedOptions, out: Map<string, T | undefined>): Promise<void> {
    const settle = new Map<string, { resolve: (v: T | undefined) => void; reject: (e: unknown) => void }>();
    for (const w of mine) {
      const p = new Promise<T | undefined>((resolve, reject) => settle.set(w.k, { resolve, reject }));
      this.flights.track(flightKey(w.k, w.read), p).catch(noop);
    }
    try {
      const values = await this.run(mine, loader, o);
      for (const w of mine) {
        const v = values.get(w.k);
        out.set(w.k, v);
        settle.get(w.k)!.resolve(v);
      }
    } catch (err) {
      for (const s of settle.values()) s.reject(err);
      throw err;
    }
  }

  private async run<T>(wanted: Wanted[], loader: BatchLoader<T>, o: ResolvedOptions): Promise<Map<string, T | undefined>> {
    const begun = Date.now();
    wanted = await this.withVersion(wanted);
    if (o.lock === false || !wanted[0].read.ok) return this.loadAndStore(wanted, loader, o, new Map());
    const ttl = o.hardTimeoutMs ? o.hardTimeoutMs + 1_000 : this.lockTtlMs;
    const held = await this.lock.tryMany(wanted, ttl);
    if (held === FAILED) return this.loadAndStore(wanted, loader, o, new Map());
    const { found: stored, still: ours } = await this.recheck<T>(
      wanted.filter((w) => held.has(w.k)),
      held,
      o.tags,
    );
    const theirs = wanted.filter((w) => !held.has(w.k));
    const [loaded, waited] = await Promise.all([
      ours.length ? this.loadAndStore(ours, loader, o, held) : new Map<string, T | undefined>(),
      theirs.length
        ? this.waitForHolders<T>(theirs, o, begun, ttl)
        : { found: new Map<string, T | undefined>(), left: [], locks: new Map() },
    ]);
    for (const [k, v] of stored) loaded.set(k, v);
    for (const [k, v] of waited.found) loaded.set(k, v);
    if (waited.left.length) {
      for (const [k, v] of await this.loadAndStore(waited.left, loader, o, waited.locks)) loaded.set(k, v);
    }
    return loaded;
  }

  /** Reads that found no namespace version get the one created now (one call for the batch). */
  private async withVersion(wanted: Wanted[]): Promise<Wanted[]> {
    if (!wanted.some((w) => w.read.ok && w.read.nsVersion === NO_VERSION)) return wanted;
    const version = await this.reader.version();
    return wanted.map((w) =>
      w.read.nsVersion !== NO_VERSION || !w.read.ok
        ? w
        : { ...w, read: version === undefined ? { ...w.read, ok: false } : { ...w.read, nsVersion: version } },
    );
  }

  /**
   * Polls the entries other holders are loading until stored. Entries whose lock frees without a
   * value (the holder failed or died) are taken over at once; at lockWaitMs the rest are loaded
   * without a lock; at hardTimeoutMs the wait fails.
   */
  private async waitForHolders<T>(
    theirs: Wanted[],
    o: ResolvedOptions,
    begun: number,
    ttl: number,
  ): Promise<{ found: Map<string, T | undefined>; left: Wanted[]; locks: Map<string, HeldLock> }> {
    const found = new Map<string, T | undefined>();
    const locks = new Map<string, HeldLock>();
    const taken: Wanted[] = [];
    const hardDeadline = o.hardTimeoutMs ? begun + o.hardTimeoutMs : Infinity;
    const deadline = Math.min(begun + this.lockWaitMs, hardDeadline);
    let waiting = theirs;
    let delay = 10;
    while (waiting.length) {
      const now = Date.now();
      if (now >= hardDeadline) throw new CacheLoadTimeoutError(waiting[0].k, o.hardTimeoutMs!);
      if (now >= deadline) break;
      await sleep(Math.min(delay, deadline - now));
      delay = Math.min(delay * 1.5, 100);
      const reads = await this.reader.readMany(
        waiting.map((w) => w.k),
        o.tags,
      );
      if (reads === undefined) break; // Redis failed: load the rest ourselves
      const still: Wanted[] = [];
      const t = Date.now();
      waiting.forEach((w, i) => {
        const e = reads[i].entry;
        if (e !== undefined && t < e.freshUntil) found.set(w.k, e.value as T | undefined);
        else still.push({ ...w, read: reads[i].ok ? reads[i] : w.read });
      });
      waiting = still;
      if (still.length === 0) break;
      // A lock that is free again without a value: its holder failed. Take it over.
      const retaken = await this.lock.tryMany(still, ttl);
      if (retaken === FAILED) {
        waiting = still;
        break;
      }
      waiting = still.filter((w) => !retaken.has(w.k));
      const { found: late, still: orphaned } = await this.recheck<T>(
        still.filter((w) => retaken.has(w.k)),
        retaken,
        o.tags,
      );
      for (const [k, v] of late) found.set(k, v);
      for (const w of orphaned) {
        locks.set(w.k, retaken.get(w.k)!);
        taken.push(w);
      }
    }
    return { found, left: [...taken, ...waiting], locks };
  }

  /**
   * Entries whose locks we just took may have been stored by the previous holder between our read
   * and our SET NX: those are answered (and their locks freed); the rest are ours to load, with
   * the fresher read to compare-and-set against.
   */
  private async recheck<T>(
    taken: Wanted[],
    locks: ReadonlyMap<string, HeldLock>,
    tags: readonly string[] | undefined,
  ): Promise<{ found: Map<string, T | undefined>; still: Wanted[] }> {
    const found = new Map<string, T | undefined>();
    if (taken.length === 0) return { found, still: taken };
    const reads = await this.reader.readMany(
      taken.map((w) => w.k),
      tags,
    );
    if (reads === undefined) return { found, still: taken };
    const now = Date.now();
    const still: Wanted[] = [];
    taken.forEach((w, i) => {
      const r = reads[i];
      const e = r.entry;
      if (e !== undefined && now < e.freshUntil) {
        found.set(w.k, e.value as T | undefined);
        const lock = locks.get(w.k)!;
        this.lock.release(lock);
      } else still.push(r.ok && r.nsVersion === w.read.nsVersion ? { ...w, read: r } : w);
    });
    return { found, still };
  }

  /** One loader call for `wanted`; stores each value (compare-and-set) and frees the locks held for them. */
  private async loadAndStore<T>(
    wanted: Wanted[],
    loader: BatchLoader<T>,
    o: ResolvedOptions,
    locks: ReadonlyMap<string, HeldLock>,
  ): Promise<Map<string, T | undefined>> {
    try {
      // Tags first, as in getOrLoad: a concurrent tag invalidation moves past these stamps.
      const ok = wanted.filter((w) => w.read.ok).map((w) => w.k);
      const stamps = o.tags?.length && ok.length ? await this.store.addTags(ok, o) : undefined;
      const tagged = !o.tags?.length || ok.length === 0 || stamps !== undefined;
      const started = Date.now();
      this.counters.loads++;
      let values: Map<string, T | undefined>;
      try {
        const answer = await traceLoad('cache.load_many', { 'cache.namespace': this.namespace, 'cache.keys': wanted.length }, async () =>
          loader(
            wanted.map((w) => w.key),
            { signal: NEVER_ABORTED },
          ),
        );
        values = valuesByRedisKey(wanted, answer, o.nullIsMiss === true);
      } catch (err) {
        this.stats.loadFailed(this.counters, err);
        throw err;
      } finally {
        this.counters.loadTimeMsTotal += Date.now() - started;
      }
      if (Date.now() - started < this.invalidator.tombstoneTtl) {
        await Promise.all(
          wanted
            .filter((w) => w.read.ok && tagged)
            .map((w) => this.store.storeLoaded(w.k, w.read, values.get(w.k), o, stamps, locks.get(w.k))),
        );
      }
      return values;
    } finally {
      for (const w of wanted) {
        const lock = locks.get(w.k);
        if (lock) this.lock.release(lock);
      }
    }
  }
}

const NEVER_ABORTED = new AbortController().signal;

/** The loader's answer (ordered array or Map by caller key) as values by Redis key. */
function valuesByRedisKey<T>(
  wanted: readonly Wanted[],
  answer: ReadonlyMap<CacheKey, T | undefined> | readonly (T | undefined)[],
  nullIsMiss: boolean,
): Map<string, T | undefined> {
  const out = new Map<string, T | undefined>();
  const ordered = Array.isArray(answer);
  wanted.forEach((w, i) => {
    let v = ordered ? (answer as readonly (T | undefined)[])[i] : (answer as ReadonlyMap<CacheKey, T | undefined>).get(w.key);
    if (v === null && nullIsMiss) v = undefined;
    out.set(w.k, v);
  });
  return out;
}
