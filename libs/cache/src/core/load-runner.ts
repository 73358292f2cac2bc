import type { Invalidator } from '../invalidation/invalidator.js';
import { raceDeadline } from '../resilience/circuit-breaker.js';
import type { Entry } from '../serialization/envelope.js';
import type { TagStamp } from '../serialization/tag-stamps.js';
import type { CacheStats, NamespaceCounters } from '../stats/cache-stats.js';
import type { EntryReader, ReadResult } from './entry-reader.js';
import type { EntryStore } from './entry-store.js';
import { CacheLoadTimeoutError } from './errors.js';
import { traceLoad } from '../telemetry/open-telemetry.js';
import type { HeldLock, LoadLock } from './load-lock.js';
import type { ResolvedOptions } from './options.js';
import { flightKey, type SingleFlight } from './single-flight.js';

export interface LoaderContext<T> {
  /** Aborted when hardTimeoutMs elapses. */
  signal: AbortSignal;
  /** The stale value being refreshed, if any. */
  stale?: T;
  /**
   * The namespace version this load read and stores under (undefined when Redis could not be
   * read). A loader that keeps something it read after a miss (e.g. a position a writer records
   * before bumping the version) may reuse it for later loads under the same version.
   */
  namespaceVersion?: number;
}
export type Loader<T> = (ctx: LoaderContext<T>) => Promise<T> | T;

/** The stamps of a load without tags (undefined stamps: the tags could not be recorded, don't store). */
const NO_STAMPS: readonly TagStamp[] = Object.freeze([]);

/**
 * One load of a missed (or stale) entry, from the miss to the stored value: joins the load this
 * process already runs for the same observed state, else takes the load lock (or gets the value its
 * holder stored), records tag membership, runs the loader under hardTimeoutMs, stores the value with
 * compare-and-set and releases the lock. A load rejects on a loader error or timeout; serving a stale
 * value instead is the caller's choice (stale-refresh.ts). The read path in CacheAside only decides
 * that a load is needed.
 */
export class LoadRunner {
  constructor(
    private readonly flights: SingleFlight,
    private readonly lock: LoadLock,
    private readonly reader: EntryReader,
    private readonly store: EntryStore,
    private readonly invalidator: Invalidator,
    private readonly counters: NamespaceCounters,
    private readonly stats: CacheStats,
    private readonly namespace: string,
  ) {}

  /** The value of `k` from the loader (or from a concurrent load); `stale` is the entry being refreshed, if any. */
  load<T>(k: string, read: ReadResult, loader: Loader<T>, o: ResolvedOptions, stale: Entry | undefined): Promise<T> {
    const key = flightKey(k, read);
    return this.flights.join<T>(key) ?? this.flights.track(key, this.run(k, read, loader, o, stale));
  }

  private async run<T>(k: string, read: ReadResult, loader: Loader<T>, o: ResolvedOptions, stale: Entry | undefined): Promise<T> {
    const begun = Date.now();
    // A namespace without a version key gets one first (every racing caller gets the same one), so
    // the load lock and the store both use a version that exists before the loader reads its source.
    let expected = await this.reader.withVersion(read);
    let lock: HeldLock | undefined;
    if (expected.ok && o.lock !== false) {
      const outcome = await this.lock.acquireOrWait(k, expected, o);
      if ('hit' in outcome) return outcome.hit.value as T;
      if ('timedOut' in outcome) throw new CacheLoadTimeoutError(k, o.hardTimeoutMs!);
      lock = outcome.lock;
      expected = outcome.read;
    }
    let work: Promise<T>;
    const ac = new AbortController();
    try {
      // Tags are recorded before the loader reads the source, so a concurrent tag invalidation
      // either moves the tag's version past the stamp (and sees this key in the tag's set) or
      // happened before the read (see Invalidator).
      const stamps = expected.ok && o.tags?.length ? await this.store.addTags([k], o) : NO_STAMPS;
      work = this.loadAndStore(k, expected, stamps, loader, o, stale, ac.signal, lock);
    } catch (err) {
      if (lock !== undefined) this.lock.release(lock);
      throw err;
    }
    // The lock is held until the loader really ends, even past a hard timeout: the late value is
    // still stored, and other callers wait for it instead of starting loaders of their own.
    if (lock !== undefined) {
      const held = lock;
      void work.then(
        () => this.lock.release(held),
        () => this.lock.release(held),
      );
    }
    work.catch((err: unknown) => this.stats.loadFailed(this.counters, err));
    if (!o.hardTimeoutMs) return work;
    const left = Math.max(o.hardTimeoutMs - (Date.now() - begun), 0);
    return raceDeadline(work, left, () => {
      const err = new CacheLoadTimeoutError(k, o.hardTimeoutMs!);
      ac.abort(err);
      throw err;
    });
  }

  /** Runs the loader and stores its value (compare-and-set, fenced by `lock` when held); resolves to the value. */
  private async loadAndStore<T>(
    k: string,
    expected: ReadResult,
    stamps: readonly TagStamp[] | undefined,
    loader: Loader<T>,
    o: ResolvedOptions,
    stale: Entry | undefined,
    signal: AbortSignal,
    lock: HeldLock | undefined,
  ): Promise<T> {
    const started = Date.now();
    this.counters.loads++;
    let value: T;
    try {
      value = await traceLoad('cache.load', { 'cache.namespace': this.namespace }, async () =>
        loader({ signal, stale: stale?.value as T | undefined, namespaceVersion: expected.ok ? expected.nsVersion : undefined }),
      );
      // "null means not found": answer like the cached negative entry will (undefined), every time.
      if (value === null && o.nullIsMiss) value = undefined as T;
    } finally {
      this.counters.loadTimeMsTotal += Date.now() - started;
    }
    // A load older than the tombstone lifetime could outlive the tombstone that guards it.
    if (expected.ok && stamps !== undefined && Date.now() - started < this.invalidator.tombstoneTtl) {
      await this.store.storeLoaded(k, expected, value, o, stamps, lock);
    }
    return value;
  }
}
