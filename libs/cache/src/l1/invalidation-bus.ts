import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../redis/connection.js';
import { duplicateConnection } from '../redis/connection.js';
import { globToRegExp, type L1Store } from './l1-cache.js';

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

  constructor(private readonly opts: InvalidationBusOptions) {
    this.instanceId = opts.instanceId ?? randomUUID();
    this.channel = opts.channel;
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 1_000;
    this.heartbeatMs = opts.heartbeatMs ?? 5_000;
    this.ownsSubscriber = !opts.subscriber;
    this.subscriber = opts.subscriber ?? duplicateConnection(opts.publisher);
    opts.store.suspended = true;
    this.subscriber.on('message', this.onMessage);
    this.subscriber.on('ready', this.onReady);
    this.subscriber.on('close', this.onDown);
    this.subscriber.on('end', this.onDown);
    // The publisher (the cache's own connection) may come up after the subscriber: join then.
    opts.publisher.on('ready', this.onPublisherReady);
  }

  /** Subscribes and joins the presence hash; L1 stays suspended until subscribed. Never rejects. */
  async start(): Promise<void> {
    this.heartbeat = setInterval(() => void this.beat(), this.heartbeatMs);
    this.heartbeat.unref();
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
      await this.opts.publisher.publish(this.channel, JSON.stringify({ ...msg, o: this.instanceId, id, s }));
      if (await waiter.expect(await this.liveInstances(), this.ackTimeoutMs)) return true;
      // Whoever did not confirm is dropped from presence: later invalidations do not wait for it.
      const silent = waiter.missing();
      if (silent.length) await this.opts.publisher.hdel(this.opts.presenceKey, ...silent);
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

  private async subscribe(): Promise<void> {
    try {
      await this.subscriber.subscribe(this.channel);
      if (this.closed) return;
      this.subscribed = true;
      await this.join();
    } catch (err) {
      this.opts.onError?.(err);
    }
  }

  /**
   * Serves L1 again once subscribed: presence first, so invalidations published from now on wait
   * for us (if it cannot be written, the next heartbeat tries again). Anything published while we
   * were not subscribed is lost, so L1 starts empty; clearing also moves every namespace's
   * generation, so reads begun before now cannot fill it.
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
    if (this.closed || !this.subscribed) return;
    this.opts.store.clearAll();
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
    if (!this.closed && this.subscribed && this.opts.store.suspended) void this.join();
  };

  private readonly onDown = (): void => {
    this.subscribed = false;
    this.opts.store.suspended = true;
    this.opts.store.setAsideAll(); // not served; kept only for the fail-safe
    this.lastSeq.clear(); // L1 starts empty: nothing earlier can be missing
  };

  private flushForLoss(): void {
    this.lossFlushes++;
    this.opts.store.clearAll();
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
    let msg: InvalidationMessage | AckMessage;
    try {
      msg = JSON.parse(raw) as InvalidationMessage | AckMessage;
    } catch {
      return;
    }
    if ('ack' in msg) {
      this.waiting.get(msg.ack)?.acked(msg.o);
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
