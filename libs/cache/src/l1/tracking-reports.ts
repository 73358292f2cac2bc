import type { L1Store } from './l1-cache.js';

/** What server-assisted invalidation (CLIENT TRACKING, broadcast mode) needs to know about the cache's keys. */
export interface TrackingOptions {
  /** The key prefix of the entries of namespace `ns` (tracked once L1 holds the namespace). */
  prefixOf: (ns: string) => string;
  /** The namespace of an entry key. */
  namespaceOf: (key: string) => string | undefined;
  /**
   * A key of our own, tracked too, to find out whether Redis reports our scripts' writes to us.
   * Keys starting with it are probes as well (on a cluster each master gets one of its own slots).
   */
  probeKey: string;
}

/** Where Redis sends CLIENT TRACKING invalidations for a RESP2 redirect target. */
export const TRACKING_CHANNEL = '__redis__:invalidate';
/** The probe's write, made from a script: NOLOOP hides plain commands, Redis 7.0 still reports this. */
export const PROBE_SCRIPT = "redis.call('SET', KEYS[1], ARGV[1], 'PX', 60000) return 1";
/**
 * Turns broadcast tracking on for `prefixes` on `connection`, reports redirected to client `redirect`;
 * NOLOOP: our plain commands are not reported back to us. Adds to a running registration.
 */
export function trackPrefixes(
  connection: { call(command: string, ...args: string[]): Promise<unknown> },
  redirect: number | string,
  prefixes: readonly string[],
): Promise<unknown> {
  return connection.call(
    'CLIENT',
    'TRACKING',
    'ON',
    'REDIRECT',
    String(redirect),
    'BCAST',
    'NOLOOP',
    ...prefixes.flatMap((p) => ['PREFIX', p]),
  );
}

/** How long a probe waits for Redis to report our script's write. */
const PROBE_WAIT_MS = 1_000;

/**
 * Applies Redis's invalidation reports to L1, wherever they come from (the standalone subscriber
 * or one subscriber per cluster master), and answers the own-script-write probe.
 */
export class TrackingReports {
  /** Reports received (keys changed by others, a flush, or a probe). */
  count = 0;
  private probeReported = false;
  private readonly probeWaiters = new Set<() => void>();

  constructor(
    private readonly store: L1Store,
    readonly opts: TrackingOptions,
  ) {}

  /** The prefixes to register: one per namespace L1 holds. */
  prefixes(): string[] {
    return this.store.names().map(this.opts.prefixOf);
  }

  /** Drops the L1 entries of the namespace tracked under `prefix` (and moves its generation). */
  clearPrefix(prefix: string): void {
    for (const ns of this.store.names()) if (this.opts.prefixOf(ns) === prefix) this.store.peek(ns)?.clear();
  }

  /** A subscriber's 'messageBuffer' listener: keys changed by anyone but the tracking connection; null = the database was flushed. */
  readonly onMessage = (channel: Buffer, message: unknown): void => {
    if (channel.toString() !== TRACKING_CHANNEL) return;
    this.count++;
    if (message === null || message === undefined) {
      this.store.clearAll();
      return;
    }
    const keys = Array.isArray(message) ? (message as unknown[]) : [message];
    for (const raw of keys) {
      const key = String(raw);
      if (key.startsWith(this.opts.probeKey)) {
        // Also when it arrives after the probe stopped waiting (a busy process): it answers the question.
        this.store.ownScriptWritesReported = true;
        this.probeReported = true;
        for (const wake of this.probeWaiters) wake();
        continue;
      }
      if (this.store.takeOwnWrite(key)) continue; // the echo of our own store
      const ns = this.opts.namespaceOf(key);
      if (ns !== undefined) this.store.peek(ns)?.delete([key]);
    }
  };

  /**
   * Writes a probe key through `write` (a script on the tracking connection) and waits briefly for
   * its report: Redis 7.0 reports script writes despite NOLOOP, later versions may not. The answer
   * decides whether the entries our scripts store are noted (L1Store.ownScriptWritesReported); any
   * report, from any node, settles it to true.
   */
  async probe(write: (key: string) => Promise<unknown>, key = this.opts.probeKey): Promise<void> {
    this.store.ownScriptWritesReported = true; // until known: noting costs nothing when no report comes
    let wake: () => void = () => undefined;
    const reported = new Promise<boolean>((resolve) => {
      wake = () => resolve(true);
      this.probeWaiters.add(wake);
      setTimeout(() => resolve(false), PROBE_WAIT_MS).unref();
    });
    try {
      await write(key);
      if (!(await reported) && !this.probeReported) this.store.ownScriptWritesReported = false;
    } finally {
      this.probeWaiters.delete(wake);
    }
  }
}
