/**
 * Thrown by a loader whose value must be served but not cached: read from the replica because the
 * primary could not be reached, without proof the replica had replayed every acknowledged write.
 * Cached, it could outlive the outage and hide a write made just before it; served once, it is the
 * best answer there is. With a stale entry at hand the cache serves that instead.
 */
export class UncachedRead<T = unknown> extends Error {
  constructor(readonly value: T) {
    super('read from the replica while the primary is unreachable (not cached)');
    this.name = 'UncachedRead';
  }
}

/** The value of an UncachedRead, any other error rethrown. */
export function servedUncached<T>(error: unknown): T {
  if (error instanceof UncachedRead) return error.value as T;
  throw error;
}
