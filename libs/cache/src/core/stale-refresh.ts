import { raceDeadline } from '../resilience/circuit-breaker.js';
import type { NamespaceCounters } from '../stats/cache-stats.js';

const noop = (): void => {};

/**
 * Stale-while-revalidate, the part a caller sees: it found a stale entry (within staleFor) and
 * `refresh`, the load started for it, stores the next value for everyone. The caller gets the stale
 * value at once (the refresh runs on in the background, a rejection ignored), or, with
 * softTimeoutMs, the refresh's own outcome if it settles in time and the stale value otherwise.
 */
export function serveStale<T>(refresh: Promise<T>, stale: T, softTimeoutMs: number | undefined, counters: NamespaceCounters): Promise<T> {
  if (!softTimeoutMs) {
    refresh.catch(noop);
    counters.staleServes++;
    return Promise.resolve(stale);
  }
  return raceDeadline(refresh, softTimeoutMs, () => {
    counters.staleServes++;
    return stale;
  });
}
