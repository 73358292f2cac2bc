import { raceDeadline } from '../resilience/circuit-breaker.js';
import type { Entry } from '../serialization/envelope.js';
import type { NamespaceCounters } from '../stats/cache-stats.js';

const noop = (): void => {};

/**
 * Stale-while-revalidate, the part a caller sees: it found a stale entry (within staleFor) and
 * `refresh`, the load started for it, stores the next value for everyone. The caller gets the stale
 * value at once (the refresh runs on in the background; its failure is counted by the load itself),
 * or, with softTimeoutMs, the refresh's own value if it arrives in time, and the stale value when it
 * does not or when it fails (fail-safe: a stale value beats an error). Each caller counts one stale serve.
 */
export function serveStale<T>(refresh: Promise<T>, stale: T, softTimeoutMs: number | undefined, counters: NamespaceCounters): Promise<T> {
  if (!softTimeoutMs) {
    refresh.catch(noop);
    counters.staleServes++;
    return Promise.resolve(stale);
  }
  const served = (): T => {
    counters.staleServes++;
    return stale;
  };
  return raceDeadline(refresh, softTimeoutMs, served).catch(served);
}

/**
 * Whether a stale entry may still be served (and refreshed): within staleFor, and for an entry
 * stale because a tag of it was invalidated softly, within staleFor of that invalidation.
 */
export function withinGrace(e: Entry, staleFor: number | undefined, now: number): boolean {
  return !!staleFor && (e.softInvalidatedAt === undefined || now < e.softInvalidatedAt + staleFor);
}
