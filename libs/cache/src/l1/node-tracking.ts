import type { Redis } from 'ioredis';
import { nodeSubscriberConnection } from '../redis/connection.js';
import { PROBE_SCRIPT, TRACKING_CHANNEL, trackPrefixes, type TrackingReports } from './tracking-reports.js';

export interface NodeTrackingOptions {
  reports: TrackingReports;
  /** Called whenever `reporting` changed. */
  onChange: () => void;
  /** A probe key in a slot this node serves, or undefined when none was found. */
  probeKeyOn: (node: NodeTracking) => Promise<string | undefined>;
  onError?: (err: unknown) => void;
}

/**
 * CLIENT TRACKING on one cluster master: Redis tracks per connection and reports only writes to
 * its own keys, to a redirect target on the same node. The cluster's own connection to the master
 * registers the prefixes (broadcast mode), so NOLOOP hides our plain writes exactly as on a single
 * node; a RESP2 subscriber of our own on that node receives the reports.
 *
 * `reporting` holds only while both connections are up and registered. Either one going away
 * ends it: the registration belongs to the data connection, and Redis drops the reports of a gone
 * redirect target, so writes made meanwhile were never reported. It comes back with a registration
 * from scratch once both are up again.
 */
export class NodeTracking {
  reporting = false;
  /**
   * The node refused CLIENT TRACKING (an old version, an ACL without CLIENT): L1 then relies on
   * the bus alone for this node, as it did before, instead of never serving.
   */
  refused = false;
  private readonly subscriber: Redis;
  private subscriberId: number | undefined;
  /** Prefixes registered on the data connection, redirected to subscriberId. */
  private readonly registered = new Set<string>();
  /** Moves on every loss: a registration that was in flight then does not count. */
  private epoch = 0;
  private chain: Promise<void> = Promise.resolve();
  private probed = false;
  private closed = false;

  constructor(
    readonly key: string,
    /** The cluster client's connection to this master (our reads and writes go through it). */
    readonly data: Redis,
    private readonly opts: NodeTrackingOptions,
  ) {
    this.subscriber = nodeSubscriberConnection(data);
    this.subscriber.on('messageBuffer', opts.reports.onMessage);
    this.subscriber.on('ready', this.onSubscriberReady);
    this.subscriber.on('close', this.onSubscriberLost);
    data.on('close', this.onLost);
    data.on('ready', this.onDataReady);
  }

  /** Registers the prefixes not registered yet (all of them after a loss), one registration at a time. */
  sync(): Promise<void> {
    const run = this.chain.then(() => this.register());
    this.chain = run;
    return run;
  }

  close(): void {
    this.closed = true;
    this.reporting = false;
    this.data.off('close', this.onLost);
    this.data.off('ready', this.onDataReady);
    this.subscriber.off('close', this.onSubscriberLost);
    this.subscriber.off('ready', this.onSubscriberReady);
    this.subscriber.disconnect();
  }

  private async register(): Promise<void> {
    const redirect = this.subscriberId;
    if (this.closed || redirect === undefined) return;
    const epoch = this.epoch;
    const wanted = new Map<string, boolean>(this.opts.reports.prefixes().map((p) => [p, true] as const));
    wanted.set(this.opts.reports.opts.probeKey, false);
    const fresh = this.registered.size === 0;
    const missing = [...wanted.keys()].filter((p) => !this.registered.has(p));
    if (missing.length === 0) return;
    try {
      // From scratch after a loss (a new redirect target or connection). Otherwise the new prefixes
      // are added to the running registration: Redis refuses a prefix registered twice, and
      // switching off to start over would leave a gap in which writes go unreported.
      if (fresh) await this.data.call('CLIENT', 'TRACKING', 'OFF');
      await trackPrefixes(this.data, redirect, missing);
      if (this.closed || epoch !== this.epoch) return;
      for (const p of missing) this.registered.add(p);
      if (!fresh) {
        // Entries of a namespace read before its prefix was tracked here may have changed unreported;
        // clearing also moves the generation, so a read in flight does not fill L1 either.
        for (const p of missing) if (wanted.get(p)) this.opts.reports.clearPrefix(p);
      }
      if (!this.reporting) {
        this.reporting = true;
        this.opts.onChange();
      }
      if (!this.probed) void this.probe();
    } catch (err) {
      if (err instanceof Error && err.name === 'ReplyError' && /^(ERR|NOPERM)/.test(err.message) && !this.refused && epoch === this.epoch) {
        this.refused = true;
        this.opts.onChange();
      }
      this.opts.onError?.(err);
    }
  }

  /** Redis 7.0 reports our own script writes despite NOLOOP: asked once per node (nodes may run different versions). */
  private async probe(): Promise<void> {
    this.probed = true;
    try {
      const key = await this.opts.probeKeyOn(this);
      if (key !== undefined) await this.opts.reports.probe((k) => this.data.eval(PROBE_SCRIPT, 1, k, String(Date.now())), key);
    } catch (err) {
      this.probed = false; // asked again on the next registration
      this.opts.onError?.(err);
    }
  }

  private readonly onSubscriberReady = (): void => {
    if (this.closed) return;
    void (async () => {
      try {
        // The redirect target: read before SUBSCRIBE (a subscribed RESP2 connection cannot).
        const id = Number(await this.subscriber.client('ID'));
        await this.subscriber.subscribe(TRACKING_CHANNEL);
        if (this.closed || this.subscriber.status !== 'ready') return;
        this.subscriberId = id;
        this.lose(); // a registration towards an earlier redirect target no longer reports
        await this.sync();
      } catch (err) {
        this.opts.onError?.(err);
      }
    })();
  };

  private readonly onDataReady = (): void => {
    if (!this.closed) void this.sync();
  };

  private readonly onSubscriberLost = (): void => {
    this.subscriberId = undefined;
    this.lose();
  };

  private readonly onLost = (): void => this.lose();

  private lose(): void {
    this.epoch++;
    this.registered.clear();
    if ((!this.reporting && !this.refused) || this.closed) return;
    this.reporting = false;
    this.refused = false; // asked again on the new connection
    this.opts.onChange();
  }
}
