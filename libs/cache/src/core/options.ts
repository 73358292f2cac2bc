/** Per-call options of CacheAside (all durations in milliseconds). */
export interface GetOrLoadOptions {
  /** Time an entry is fresh (default 60 000; Infinity: until invalidated or evicted). Fractions round up. */
  ttl?: number;
  /** Fraction in [0, 1]: the effective ttl is uniform in [ttl·(1−jitter), ttl], so expiries spread out. */
  jitter?: number;
  /** After ttl, keep the entry this long and serve it while one background load refreshes it. */
  staleFor?: number;
  /** Cache "not found" (loader returned undefined, or null with nullIsMiss) for this long; 0 = don't. */
  negativeTtl?: number;
  /** Treat a null from the loader as "not found" (default false: null is a real cached value). */
  nullIsMiss?: boolean;
  /** With a stale entry: wait this long for the loader, then serve stale (default 0 = serve stale at once). */
  softTimeoutMs?: number;
  /** Give up on the loader after this long: reject with CacheLoadTimeoutError (or serve stale if any). */
  hardTimeoutMs?: number;
  /** Tags for invalidateTag(). */
  tags?: readonly string[];
  /** Use the distributed load lock on a miss (default true). */
  lock?: boolean;
  /**
   * Use the in-process L1 when configured (default true). `'reread'`: a value this process loaded
   * enters L1 only when it is read again (an L2 hit fills L1 as usual): for keys most of which are
   * asked once (search and filter pages), L1 then holds the ones asked again instead of a copy of
   * every page, which the process would decode, keep and later collect for nothing.
   */
  l1?: boolean | 'reread';
  /** Skip every cached value and run the loader (its value is stored as usual). */
  forceFresh?: boolean;
  /**
   * After a background refresh of a stale entry failed, serve the stale value without trying again
   * for this long (default 5 000): a broken source is not hit on every read of the grace period.
   */
  refreshBackoffMs?: number;
}

export interface SetOptions {
  ttl?: number;
  jitter?: number;
  staleFor?: number;
  tags?: readonly string[];
}

export interface ResolvedOptions extends GetOrLoadOptions {
  ttl: number;
}

/** Durations stored as Redis PX, which takes whole milliseconds only. */
const STORED_DURATIONS = new Set(['ttl', 'staleFor', 'negativeTtl']);

/** The latest freshUntil an entry can carry (the largest valid Date): what ttl Infinity stores. */
export const FOREVER = 8.64e15;

export function resolveOptions(defaults: ResolvedOptions, opts?: GetOrLoadOptions): ResolvedOptions {
  if (!opts) return defaults;
  const out: ResolvedOptions = { ...defaults };
  for (const k in opts) {
    let v = (opts as Record<string, unknown>)[k];
    if (v === undefined) continue;
    if (typeof v === 'number' && STORED_DURATIONS.has(k)) v = wholeMs(v);
    (out as unknown as Record<string, unknown>)[k] = v;
  }
  return out;
}

/** A duration rounded up to whole milliseconds (Redis refuses `PX 1500.5`); Infinity stays. */
export function wholeMs(ms: number): number {
  if (Number.isNaN(ms) || ms < 0) throw new RangeError(`Invalid cache duration: ${ms}`);
  return Number.isFinite(ms) ? Math.ceil(ms) : ms;
}

/** Effective fresh time with subtractive jitter: never longer than ttl. */
export function jitteredTtl(ttl: number, jitter = 0): number {
  if (!jitter || jitter <= 0 || !Number.isFinite(ttl)) return ttl;
  const j = Math.min(jitter, 1);
  return Math.max(1, Math.round(ttl - Math.random() * ttl * j));
}
