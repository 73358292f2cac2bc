import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** What one release did: resident memory before and after, and how long the collection took. */
export interface MemoryRelease {
  rssBeforeBytes: number;
  rssAfterBytes: number;
  ms: number;
}

export interface IdleMemoryReleaseOptions {
  /** How long the event loop must stay idle, after a busy period, before memory is released (ms). */
  idleMs: number;
  /** Released only when resident memory grew at least this much since the last release (or start). */
  minGrowthBytes: number;
  /** How often the event loop's utilization is read (ms, default 500). */
  checkEveryMs?: number;
  /** Below this share of busy event loop an interval counts as idle (default 0.05). */
  idleUtilization?: number;
  /** At or above it an interval counts as busy (default 0.25): only then is there something to give back. */
  busyUtilization?: number;
  /** Told after each release. */
  onRelease?: (release: MemoryRelease) => void;
  /** The event loop's utilization since the previous call (default: perf_hooks). */
  utilization?: () => number;
  /** Resident set size in bytes (default: process.memoryUsage.rss). */
  rss?: () => number;
  /** The full collection that gives memory back (default: fullCollector()). */
  collect?: () => void;
}

/** Options of V8's gc extension function (`gc({ type, execution, flavor })`). */
export type GcOptions = { type: 'major' | 'minor'; execution: 'sync' | 'async'; flavor?: 'regular' | 'last-resort' };

/**
 * V8's gc extension, made available in a separate context: nothing is added to this process's
 * global scope. Undefined when the runtime refuses the flag.
 */
export function gcExtension(): ((options: GcOptions) => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (options) => void (gc as (options: GcOptions) => unknown)(options) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A full collection that gives memory back to the OS: V8's "last resort" collection (the one it runs
 * on a low-memory notification) compacts the heap and returns the pages it freed. An ordinary full
 * collection keeps them pooled for reuse, so after a burst the peak heap stays resident for as long
 * as the process runs: V8's own memory reducer would release them, but it waits for an allocation
 * rate near zero, which a server with timers and connections never reaches. Undefined when the gc
 * extension is not available.
 */
export function fullCollector(): (() => void) | undefined {
  const gc = gcExtension();
  return gc && (() => gc({ type: 'major', execution: 'sync', flavor: 'last-resort' }));
}

/**
 * Gives memory back after a burst of work: once the event loop was busy and has then been idle for
 * `idleMs`, and resident memory grew by `minGrowthBytes` since the last release, runs one full
 * collection that returns freed pages (fullCollector). Starting up counts as the first burst. Measured on the API after a `bench:http` load:
 * 154 MB → 115 MB resident in a 96 ms pause, which lands on an idle process. Never runs while the
 * process is busy, nor under steady light traffic (no busy period), nor twice for one burst.
 */
export class IdleMemoryRelease {
  private readonly checkEveryMs: number;
  private readonly idleUtilization: number;
  private readonly busyUtilization: number;
  private readonly utilization: () => number;
  private readonly rss: () => number;
  private readonly collect: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Starting up is the first burst: what it left is given back at the first idle stretch. */
  private busy = true;
  private idleForMs = 0;
  private baselineBytes = 0;

  constructor(private readonly options: IdleMemoryReleaseOptions) {
    this.checkEveryMs = options.checkEveryMs ?? 500;
    this.idleUtilization = options.idleUtilization ?? 0.05;
    this.busyUtilization = options.busyUtilization ?? 0.25;
    this.utilization = options.utilization ?? eventLoopUtilization();
    this.rss = options.rss ?? (() => process.memoryUsage.rss());
    this.collect = options.collect ?? fullCollector();
  }

  /** Whether releases can happen: enabled (idleMs > 0) and a collector is available. */
  get enabled(): boolean {
    return this.options.idleMs > 0 && this.collect !== undefined;
  }

  /** Starts the checks (unref'd: they never keep the process alive). */
  start(): this {
    if (!this.enabled || this.timer) return this;
    this.timer = setInterval(() => this.check(), this.checkEveryMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One check (the timer's; public so that tests drive it): returns the release it made, if any. */
  check(): MemoryRelease | undefined {
    const utilization = this.utilization();
    if (utilization >= this.busyUtilization) {
      this.busy = true;
      this.idleForMs = 0;
      return undefined;
    }
    this.idleForMs = utilization < this.idleUtilization ? this.idleForMs + this.checkEveryMs : 0;
    if (!this.busy || this.idleForMs < this.options.idleMs || !this.collect) return undefined;
    // The burst is over: release if it left something to give back, else wait for the next one.
    this.busy = false;
    const rssBeforeBytes = this.rss();
    if (rssBeforeBytes - this.baselineBytes < this.options.minGrowthBytes) return undefined;
    const started = performance.now();
    this.collect();
    const release = { rssBeforeBytes, rssAfterBytes: this.rss(), ms: performance.now() - started };
    this.baselineBytes = release.rssAfterBytes;
    this.utilization(); // the collection's own pause is not a busy period
    this.options.onRelease?.(release);
    return release;
  }
}

/** The event loop's utilization between successive calls. */
function eventLoopUtilization(): () => number {
  let previous: EventLoopUtilization = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const delta = performance.eventLoopUtilization(now, previous);
    previous = now;
    return delta.utilization;
  };
}
