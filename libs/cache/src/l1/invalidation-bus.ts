import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../redis/connection.js';
import { isCluster, subscriberConnection } from '../redis/connection.js';
import { ClusterTracking } from './cluster-tracking.js';
import { globToRegExp, type L1Store } from './l1-cache.js';
import { PROBE_SCRIPT, TRACKING_CHANNEL, TrackingReports, trackPrefixes, type TrackingOptions } from './tracking-reports.js';

/** One invalidation, as broadcast to the other instances. */
export interface InvalidationMessage {
  /** Origin instance id (an instance ignores its own messages: it already applied them). */
  o: string;
  /** Message id, acknowledged by every receiver. */
  id?: string;
  /** Publisher's sequence number: a receiver that sees a gap missed a message and flushes its L1. */
  s?: number;
  ns: string;
  /** Exact keys. */
  k?: string[];
  /** Whole namespace. */
  all?: 1;
  /** Redis glob over full keys. */
  p?: string;
  /** Key-parts prefix: this key and every key continuing with ':'. */
  pre?: string;
}

interface AckMessage {
  ack: string;
  o: string;
}

/** Sent by a publisher right after it dropped instances from presence for missed acknowledgements. */
interface DropMessage {
  drop: string[];
  o: string;
}

export interface InvalidationBusOptions {
  publisher: RedisClient;
  /** Dedicated connection for SUBSCRIBE (default: a duplicate of publisher). */
  subscriber?: RedisClient;
  channel: string;
  /** Redis hash of live bus members (instance id → expiry, epoch ms). */
  presenceKey: string;
  store: L1Store;
  instanceId?: string;
  /** How long an invalidation waits for the other instances to confirm (default 1000 ms). */
  ackTimeoutMs?: number;
  /** Presence heartbeat (default 5000 ms; a member is live for 3 heartbeats). */
  heartbeatMs?: number;
  /**
   * Server-assisted invalidation (CLIENT TRACKING, broadcast mode): Redis itself tells us when any
   * client (another service, redis-cli, a script) changes a key under the L1 namespaces' prefixes.
   * Standalone and Sentinel: needs the subscriber this bus creates (RESP2). Cluster: per master
   * (see ClusterTracking), with subscribers of its own.
   */
  tracking?: TrackingOptions;
  onError?: (err: unknown) => void;
}

/**
 * Pub/sub between instances so each one drops L1 entries invalidated elsewhere.
 *
 * Strictness: an invalidation returns only after every live instance (presence hash, refreshed by
 * heartbeat) acknowledged that it applied the message to its L1, or after ackTimeoutMs. So once
 * invalidate*() returned, no connected instance serves the old value from L1. An instance that
 * did not answer in time (its subscriber socket silently dead, or its event loop stalled) holds
 * nothing older than the L1 ttl, which must be shorter than ackTimeoutMs: by the time the
 * invalidation gives up waiting, its entries from before the write have expired.
 *
 * Presence is read after the message is published, and an instance joins presence before it
 * serves L1: so an instance that is not waited for only starts serving after the invalidation,
 * with an L1 emptied at that moment.
 *
 * Pub/sub is at-most-once: a message sent while our subscriber is disconnected is lost. So L1 is
 * suspended (bypassed) and cleared whenever the subscriber is not connected, and cleared again
 * once the subscription is re-established. Messages lost otherwise are caught too:
 * - each publisher numbers its messages; a receiver that sees a gap in one publisher's numbers
 *   flushes its L1;
 * - an instance that misses an acknowledgement is dropped from presence by the publisher, so later
 *   invalidations do not wait for it (a crashed instance stalls one write, not every write until
 *   its presence expires); if it is alive, its next heartbeat finds itself dropped, flushes its L1
 *   and joins again.
 *
 * Writes made outside the library (another service, redis-cli) are seen through CLIENT TRACKING
 * (see `tracking`): the cache connection registers the entry prefixes of the L1 namespaces in
 * broadcast mode, redirected to our subscriber (NOLOOP: our own writes already went through the
 * bus). Tracking is per connection, so it is registered again whenever either connection comes
 * back, and whenever L1 starts holding a new namespace. Redis 7.0 also reports writes our own Lua
 * scripts made (NOLOOP covers plain commands only): a probe at start finds out, and then the entries
 * our compare-and-set script stores are noted so their one report each is not taken for an outside
 * write (a mistaken drop costs one Redis read, never a stale value). A read that raced an outside write cannot
 * fill L1 with the old value for long: the invalidation moves the namespace generation (a read
 * begun before it never fills L1) or drops the entry it filled.
 *
 * On a cluster, tracking is per node: each master reports writes to its own keys only, to a
 * redirect target on that node (ClusterTracking). L1 serves only while every master reports, and
 * starts empty again after any master stopped reporting or the topology changed.
 */
export class InvalidationBus {
  readonly instanceId: string;
  readonly channel: string;
  private readonly subscriber: RedisClient;
  private readonly ownsSubscriber: boolean;
  private readonly ackTimeoutMs: number;
  private readonly heartbeatMs: number;
  private readonly waiting = new Map<string, AckWaiter>();
  private heartbeat: NodeJS.Timeout | undefined;
  private closed = false;
  /** The subscriber holds the channel subscription (L1 may still be suspended until presence is written). */
  private subscribed = false;
  /** The join in progress: start() and the subscriber's 'ready' event both subscribe, one join serves both. */
  private joining: Promise<void> | undefined;
  /** Retries a join whose presence write failed (the publisher may connect after the subscriber). */
  private retry: NodeJS.Timeout | undefined;
  private retryDelayMs = RETRY_MIN_MS;
  private readonly servingWaiters: (() => void)[] = [];
  /** Our next message number. */
  private seq = 0;
  /** Last message number seen per publisher. */
  private readonly lastSeq = new Map<string, number>();
  /** L1 flushes caused by a detected loss (a sequence gap or being dropped from presence). */
  lossFlushes = 0;
  private subscriberId: number | undefined;
  private subscribing: Promise<void> | undefined;
  private trackingScheduled = false;
  /** The latest standalone tracking registration (they run one after another). */
  private trackingQueue: Promise<void> = Promise.resolve();
  /** Standalone: the prefixes registered for `trackedRedirect` (the subscriber's client id). */
  private readonly trackedPrefixes = new Set<string>();
  private trackedRedirect: number | undefined;
  private probed = false;
  /** Reports of CLIENT TRACKING, applied to L1. */
  private readonly reports: TrackingReports | undefined;
  /** Standalone: tracking registered on the publisher connection. */
  private standaloneTracking = false;
  /** Cluster: tracking per master. */
  private readonly clusterTracking: ClusterTracking | undefined;

  constructor(private readonly opts: InvalidationBusOptions) {
    this.instanceId = opts.instanceId ?? randomUUID();
    this.channel = opts.channel;
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 1_000;
    this.heartbeatMs = opts.heartbeatMs ?? 5_000;
    this.ownsSubscriber = !opts.subscriber;
    this.subscriber = opts.subscriber ?? subscriberConnection(opts.publisher);
    opts.store.suspended = true;
    this.subscriber.on('message', this.onMessage);
    if (opts.tracking) {
      this.reports = new TrackingReports(opts.store, opts.tracking);
      if (isCluster(opts.publisher)) {
        this.clusterTracking = new ClusterTracking({
          cluster: opts.publisher,
          reports: this.reports,
          onLoss: this.onTrackingLoss,
          onCovered: this.onTrackingCovered,
          onError: opts.onError,
        });
      } else {
        this.subscriber.on('messageBuffer', this.reports.onMessage);
      }
      opts.store.onNamespace = this.scheduleTracking;
    }
    this.subscriber.on('ready', this.onReady);
    this.subscriber.on('close', this.onDown);
    this.subscriber.on('end', this.onDown);
    // The publisher (the cache's own connection) may come up after the subscriber: join then.
    opts.publisher.on('ready', this.onPublisherReady);
  }

  /** Invalidations Redis sent for keys changed outside the library (CLIENT TRACKING). */
  get trackedInvalidations(): number {
    return this.reports?.count ?? 0;
  }

  /** Whether Redis tracks our prefixes for us right now (on a cluster: every master does). */
  get trackingOn(): boolean {
    return this.clusterTracking ? this.clusterTracking.reporting : this.standaloneTracking;
  }

  /** Subscribes and joins the presence hash; L1 stays suspended until subscribed (and, on a cluster with tracking, until every master reports). Never rejects. */
  async start(): Promise<void> {
    this.heartbeat = setInterval(() => void this.beat(), this.heartbeatMs);
    this.heartbeat.unref();
    this.clusterTracking?.start();
    await this.subscribe();
  }

  /** Resolves once L1 serves (subscribed and in presence), or when the bus closes. */
  serving(): Promise<void> {
    if (!this.opts.store.suspended || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.servingWaiters.push(resolve));
  }

  /**
   * Broadcasts an invalidation and waits (bounded) until every other live instance applied it.
   * Resolves false when Redis was unavailable or some instance did not confirm in time.
   */
  async publish(msg: Omit<InvalidationMessage, 'o' | 'id'>): Promise<boolean> {
    const id = randomUUID();
    // Acks can arrive before presence is read: the waiter collects them from the start.
    const waiter = new AckWaiter();
    this.waiting.set(id, waiter);
    try {
      // Numbered even if the PUBLISH fails: receivers then see the gap and flush.
      const s = ++this.seq;
      await this.publishInOrder(JSON.stringify({ ...msg, o: this.instanceId, id, s }));
      if (await waiter.expect(await this.liveInstances(), this.ackTimeoutMs)) return true;
      // Whoever did not confirm is dropped from presence: later invalidations do not wait for it.
      // An instance that is alive after all (its subscriber came back) learns it from the notice,
      // which reaches it before any later message of ours: it stops serving L1 at once and joins
      // again with an empty L1, instead of serving unwaited-for until its next heartbeat.
      const silent = waiter.missing();
      if (silent.length) {
        await this.opts.publisher.hdel(this.opts.presenceKey, ...silent);
        const notice: DropMessage = { drop: silent, o: this.instanceId };
        await this.publishInOrder(JSON.stringify(notice));
      }
      return false;
    } catch (err) {
      // Fail-open: other instances' L1 entries expire by TTL, and instances that lost Redis cleared L1.
      this.opts.onError?.(err);
      return false;
    } finally {
      this.waiting.delete(id);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.opts.store.suspended = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.subscriber.off('message', this.onMessage);
    if (this.reports) this.subscriber.off('messageBuffer', this.reports.onMessage);
    this.clusterTracking?.close();
    this.subscriber.off('ready', this.onReady);
    this.opts.publisher.off('ready', this.onPublisherReady);
    if (this.retry) clearTimeout(this.retry);
    this.wakeServingWaiters();
    for (const w of this.waiting.values()) w.release();
    try {
      if (this.opts.publisher.status === 'ready') await this.opts.publisher.hdel(this.opts.presenceKey, this.instanceId);
    } catch {
      // best effort: the entry expires by itself
    }
    if (this.ownsSubscriber) this.subscriber.disconnect();
  }

  /**
   * PUBLISH through one fixed node: a receiver must get one publisher's messages in the order they
   * were sent (sequence numbers, drop notices). On a cluster, ioredis sends a key-less command to a
   * random master, and messages published on different masters reach a subscriber in any order.
   */
  private publishInOrder(payload: string): Promise<number> {
    const publisher = this.opts.publisher;
    if (!isCluster(publisher)) return publisher.publish(this.channel, payload);
    const masters = publisher.nodes('master');
    if (masters.length === 0) return publisher.publish(this.channel, payload);
    const name = (n: (typeof masters)[number]) => `${n.options.host}:${n.options.port}`;
    const pinned = masters.reduce((a, b) => (name(b) < name(a) ? b : a));
    return pinned.publish(this.channel, payload);
  }

  /** A publisher dropped us from presence: our L1 may miss what it sends next without waiting for us. */
  private onDropped(): void {
    if (this.closed || this.opts.store.suspended) return;
    this.flushForLoss();
    this.opts.store.suspended = true;
    void this.join();
  }

  /** Other instances whose presence has not expired. */
  private async liveInstances(): Promise<string[]> {
    const all = await this.opts.publisher.hgetall(this.opts.presenceKey);
    const now = Date.now();
    const live: string[] = [];
    for (const [id, until] of Object.entries(all)) if (id !== this.instanceId && Number(until) > now) live.push(id);
    return live;
  }

  /** Heartbeat: stay in presence, or finish joining if the last attempt could not write it. */
  private async beat(): Promise<void> {
    if (this.closed) return;
    if (this.opts.store.suspended) {
      if (this.subscribed) await this.join();
      return;
    }
    if ((await this.announce()) === 'added') {
      // We were not in presence: a publisher dropped us for a missed acknowledgement (or our entry
      // expired), so invalidations went out without waiting for us. Whatever L1 holds may be stale.
      this.flushForLoss();
    }
  }

  /**
   * (Re)writes our presence entry and prunes members that stopped beating. 'added' when our entry
   * was not there, 'kept' when it was, false on failure.
   */
  private async announce(): Promise<'added' | 'kept' | false> {
    try {
      const now = Date.now();
      const added = await this.opts.publisher.hset(this.opts.presenceKey, this.instanceId, String(now + 3 * this.heartbeatMs));
      const all = await this.opts.publisher.hgetall(this.opts.presenceKey);
      const dead = Object.entries(all)
        .filter(([, until]) => Number(until) <= now)
        .map(([id]) => id);
      if (dead.length) await this.opts.publisher.hdel(this.opts.presenceKey, ...dead);
      return added === 1 ? 'added' : 'kept';
    } catch (err) {
      this.opts.onError?.(err);
      return false;
    }
  }

  /** One subscription per connection: start() and the 'ready' event both ask for it. */
  private subscribe(): Promise<void> {
    if (this.subscribed) return Promise.resolve();
    this.subscribing ??= this.doSubscribe().finally(() => (this.subscribing = undefined));
    return this.subscribing;
  }

  private async doSubscribe(): Promise<void> {
    try {
      // The redirect target of CLIENT TRACKING: read before SUBSCRIBE (a subscribed RESP2 connection cannot).
      const tracked = this.reports !== undefined && !this.clusterTracking;
      if (tracked) this.subscriberId = Number(await this.subscriber.client('ID'));
      await this.subscriber.subscribe(...(tracked ? [this.channel, TRACKING_CHANNEL] : [this.channel]));
      if (this.closed) return;
      this.subscribed = true;
      await this.enableTracking();
      await this.join();
    } catch (err) {
      this.opts.onError?.(err);
    }
  }

  /**
   * Standalone: registers CLIENT TRACKING for the prefixes of every namespace L1 holds. Runs one at a
   * time: two overlapping registrations would send a prefix twice, which Redis refuses ("prefix
   * overlaps"), leaving the later namespaces unregistered.
   */
  private enableTracking(): Promise<void> {
    const run = this.trackingQueue.then(() => this.registerTracking());
    this.trackingQueue = run;
    return run;
  }

  private async registerTracking(): Promise<void> {
    const reports = this.reports;
    const redirect = this.subscriberId;
    if (!reports || this.clusterTracking || this.closed || !this.subscribed || redirect === undefined) return;
    const wanted = reports.prefixes();
    if (wanted.length === 0) return;
    wanted.push(reports.opts.probeKey);
    // From scratch when nothing runs for this redirect target (start, a reconnect). Otherwise only the
    // new prefixes are added to the running registration: Redis refuses a prefix registered twice,
    // and switching off to start over would leave a gap in which writes go unreported.
    const fresh = !this.standaloneTracking || this.trackedRedirect !== redirect;
    if (fresh) this.trackedPrefixes.clear();
    const missing = wanted.filter((p) => !this.trackedPrefixes.has(p));
    if (missing.length === 0) return;
    try {
      if (fresh) await this.opts.publisher.call('CLIENT', 'TRACKING', 'OFF');
      // Our writes noted until now left on this connection before the ON: they get no report, and a
      // note left waiting for one would swallow the report of a later outside write of that key.
      const notedBefore = this.opts.store.ownWriteMark();
      await trackPrefixes(this.opts.publisher, redirect, missing);
      for (const p of missing) this.trackedPrefixes.add(p);
      this.trackedRedirect = redirect;
      this.standaloneTracking = true;
      for (const p of missing) this.opts.store.forgetOwnWritesUnder(p, notedBefore);
      if (!this.probed) {
        this.probed = true;
        await reports.probe((key) => this.opts.publisher.eval(PROBE_SCRIPT, 1, key, String(Date.now())));
      }
    } catch (err) {
      this.standaloneTracking = false;
      this.opts.onError?.(err);
    }
  }

  private readonly scheduleTracking = (): void => {
    if (this.trackingScheduled) return;
    this.trackingScheduled = true;
    queueMicrotask(() => {
      this.trackingScheduled = false;
      if (this.clusterTracking) this.clusterTracking.sync();
      else void this.enableTracking();
    });
  };

  /**
   * Cluster: a master stopped reporting (its subscriber or our connection to it went away, or the
   * topology changed). Outside writes there go unreported from now on: L1 is suspended like when
   * the bus subscriber is lost, and starts empty once every master reports again.
   */
  private readonly onTrackingLoss = (): void => {
    if (this.closed) return;
    this.lossFlushes++;
    this.opts.store.suspended = true;
    this.opts.store.setAsideAll();
  };

  private readonly onTrackingCovered = (): void => {
    if (!this.closed && this.subscribed) void this.join();
  };

  /**
   * Serves L1 again once subscribed: presence first, so invalidations published from now on wait
   * for us (if it cannot be written, the next heartbeat tries again). Anything published while we
   * were not subscribed is lost, so L1 starts empty (what it held stays only as fail-safe copies);
   * this also moves every namespace's generation, so reads begun before now cannot fill it.
   */
  private join(): Promise<void> {
    this.joining ??= this.rejoin().finally(() => (this.joining = undefined));
    return this.joining;
  }

  private async rejoin(): Promise<void> {
    // Serving already: nothing was missed (a lost subscription suspends L1 first, see onDown).
    if (!this.opts.store.suspended) return;
    if (!(await this.announce())) {
      this.scheduleRetry();
      return;
    }
    // On a cluster every master must report first (onTrackingCovered joins then).
    if (this.closed || !this.subscribed || this.clusterTracking?.covered === false) return;
    this.opts.store.distrustAll();
    this.opts.store.suspended = false;
    this.retryDelayMs = RETRY_MIN_MS;
    this.wakeServingWaiters();
  }

  /** Tries the join again soon (backing off up to one heartbeat) instead of leaving L1 off until the next beat. */
  private scheduleRetry(): void {
    if (this.closed || !this.subscribed || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (this.subscribed && !this.closed) void this.join();
    }, this.retryDelayMs);
    this.retry.unref();
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, this.heartbeatMs);
  }

  private wakeServingWaiters(): void {
    for (const wake of this.servingWaiters.splice(0)) wake();
  }

  private readonly onReady = (): void => {
    if (!this.closed) void this.subscribe();
  };

  private readonly onPublisherReady = (): void => {
    if (this.closed) return;
    if (this.standaloneTracking) {
      // Tracking belongs to the connection: outside writes made while it was down were not
      // reported, and the new connection reports nothing until told again.
      this.standaloneTracking = false;
      this.flushForLoss();
    }
    void this.enableTracking();
    if (this.subscribed && this.opts.store.suspended) void this.join();
  };

  private readonly onDown = (): void => {
    this.subscribed = false;
    this.standaloneTracking = false; // Redis stops tracking when the redirect target goes away
    this.opts.store.suspended = true;
    this.opts.store.setAsideAll(); // not served; kept only for the fail-safe
    this.lastSeq.clear(); // L1 starts empty: nothing earlier can be missing
  };

  private flushForLoss(): void {
    this.lossFlushes++;
    this.opts.store.distrustAll();
  }

  /** Notes publisher `origin`'s message number `s`; a gap means a message of it never reached us. */
  private checkSequence(origin: string, s: number): void {
    const last = this.lastSeq.get(origin);
    if (last !== undefined && s !== last + 1) this.flushForLoss();
    if (last === undefined && this.lastSeq.size >= MAX_TRACKED_PUBLISHERS) this.lastSeq.clear();
    this.lastSeq.set(origin, s);
  }

  private readonly onMessage = (channel: string, raw: string): void => {
    if (channel !== this.channel) return;
    let msg: InvalidationMessage | AckMessage | DropMessage;
    try {
      msg = JSON.parse(raw) as InvalidationMessage | AckMessage | DropMessage;
    } catch {
      return;
    }
    if ('ack' in msg) {
      this.waiting.get(msg.ack)?.acked(msg.o);
      return;
    }
    if ('drop' in msg) {
      if (Array.isArray(msg.drop) && msg.drop.includes(this.instanceId)) this.onDropped();
      return;
    }
    if (msg.o === this.instanceId) return;
    if (msg.s !== undefined) this.checkSequence(msg.o, msg.s);
    applyInvalidation(this.opts.store, msg);
    if (msg.id) {
      const ack: AckMessage = { ack: msg.id, o: this.instanceId };
      this.opts.publisher.publish(this.channel, JSON.stringify(ack)).catch((err) => this.opts.onError?.(err));
    }
  };
}

const RETRY_MIN_MS = 25;
/** Publishers whose sequence is tracked (instances come and go; past this the map starts over). */
const MAX_TRACKED_PUBLISHERS = 10_000;

export function applyInvalidation(store: L1Store, msg: Omit<InvalidationMessage, 'o'>): void {
  const ns = store.peek(msg.ns);
  if (!ns) return;
  if (msg.all) ns.clear();
  if (msg.k) ns.delete(msg.k);
  if (msg.p) {
    const re = globToRegExp(msg.p);
    ns.deleteMatching((k) => re.test(k));
  }
  if (msg.pre) {
    const base = msg.pre;
    ns.deleteMatching((k) => k === base || k.startsWith(base + ':'));
  }
}

/** Acknowledgements of one published invalidation. */
class AckWaiter {
  private readonly received = new Set<string>();
  private expected: Set<string> | undefined;
  private released = false;
  private resolve: ((all: boolean) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  /** Instances that were expected and have not acknowledged. */
  missing(): string[] {
    return this.expected ? [...this.expected] : [];
  }

  acked(instanceId: string): void {
    if (this.expected === undefined) this.received.add(instanceId);
    else if (this.expected.delete(instanceId) && this.expected.size === 0) this.finish(true);
  }

  /** Resolves true once every instance in `others` acknowledged, false after timeoutMs. */
  expect(others: readonly string[], timeoutMs: number): Promise<boolean> {
    this.expected = new Set(others.filter((o) => !this.received.has(o)));
    if (this.expected.size === 0 || this.released) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      this.resolve = resolve;
      this.timer = setTimeout(() => this.finish(false), timeoutMs);
    });
  }

  /** The bus is closing: stop waiting. */
  release(): void {
    this.released = true;
    this.finish(true);
  }

  private finish(all: boolean): void {
    if (this.timer) clearTimeout(this.timer);
    const resolve = this.resolve;
    this.resolve = undefined;
    resolve?.(all);
  }
}
