import type { ReadResult } from './entry-reader.js';

/**
 * In-process dedupe of concurrent loads: callers of one process that missed the same entry in the
 * same observed state share one load (the load lock does the same across processes). A caller that
 * joins allocates nothing.
 */
export class SingleFlight {
  private readonly inflight = new Map<string, Promise<unknown>>();

  /** The load in flight under `key`, if any. */
  join<T>(key: string): Promise<T> | undefined {
    return this.inflight.get(key) as Promise<T> | undefined;
  }

  /** Makes `work` the load in flight under `key` until it settles; returns the promise callers share. */
  track<T>(key: string, work: Promise<T>): Promise<T> {
    const p = work.finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }
}

/**
 * The flight key includes the namespace version, entry head and tag versions the caller saw, so a
 * caller that already observed an invalidation never joins a load started before it.
 */
export function flightKey(k: string, read: ReadResult): string {
  return read.ok ? `${k}|${read.nsVersion}|${read.head}|${read.mark}` : `${k}|!`;
}
