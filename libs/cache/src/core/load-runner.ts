import type { Invalidator } from '../invalidation/invalidator.js';
import { raceDeadline } from '../resilience/circuit-breaker.js';
import type { Entry } from '../serialization/envelope.js';
import type { NamespaceCounters } from '../stats/cache-stats.js';
import type { ReadResult } from './entry-reader.js';
import type { EntryStore } from './entry-store.js';
import { CacheLoadTimeoutError } from './errors.js';
import type { LoadLock } from './load-lock.js';
import type { ResolvedOptions } from './options.js';
import { flightKey, SingleFlight } from './single-flight.js';

export interface LoaderContext<T> {
  /** Aborted when hardTimeoutMs elapses. */
  signal: AbortSignal;
  /** The stale value being refreshed, if any. */
  stale?: T;
}
export type Loader<T> = (ctx: LoaderContext<T>) => Promise<T> | T;

const NEVER_ABORTED = new AbortController().signal;

/**
 * One load of a missed (or stale) entry, from the miss to the stored value: joins the load this
 * process already runs for the same observed state, else takes the load lock (or gets the value its
 * holder stored), records tag membership, runs the loader under hardTimeoutMs, stores the value with
 * compare-and-set and releases the lock. The read path in CacheAside only decides that a load is needed.
 */
export class LoadRunner {
  private readonly flights = new SingleFlight();

  constructor(
    private readonly lock: LoadLock,
    private readonly store: EntryStore,
    private readonly invalidator: Invalidator,
    private readonly counters: NamespaceCounters,
  ) {}

  /** The value of `k` from the loader (or from a concurrent load); `stale` is the entry being refreshed, if any. */
  load<T>(k: string, read: ReadResult, loader: Loader<T>, o: ResolvedOptions, stale: Entry | undefined): Promise<T> {
    const key = flightKey(k, read);
    return this.flights.join<T>(key) ?? this.flights.track(key, this.run(k, read, loader, o, stale));
  }

  private async run<T>(k: string, read: ReadResult, loader: Loader<T>, o: ResolvedOptions, stale: Entry | undefined): Promise<T> {
    let expected = read;
    let lockKey: string | undefined;
    let token: string | undefined;
    if (read.ok && o.lock !== false) {
      const outcome = await this.lock.acquireOrWait(k, read, o);
      if ('hit' in outcome) return outcome.hit.value as T;
      token = outcome.token;
      lockKey = outcome.lockKey;
      expected = outcome.read;
    }
    try {
      // Tag membership is recorded before the loader reads the source, so a concurrent tag
      // invalidation either sees this key or happened before the read (see Invalidator).
      const tagged = expected.ok && o.tags?.length ? await this.store.addTags(k, o) : true;
      const started = Date.now();
      this.counters.loads++;
      let value: T;
      try {
        value = await callLoader(k, loader, o, stale);
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
        await this.store.storeLoaded(k, expected, value, o);
      }
      return value;
    } finally {
      if (token !== undefined) this.lock.release(lockKey!, token);
    }
  }
}

/** Runs the loader; with hardTimeoutMs, gives up on it (aborting its signal) with CacheLoadTimeoutError. */
function callLoader<T>(k: string, loader: Loader<T>, o: ResolvedOptions, stale: Entry | undefined): Promise<T> {
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
