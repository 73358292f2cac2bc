import type { KeyBuilder } from '../keys/key-builder.js';
import type { RedisClient } from '../redis/connection.js';
import { DEFAULT_OPERATION_TIMEOUT_MS } from '../redis-ops/fail-fast.js';
import { RedisUnavailableError } from '../redis-ops/unavailable-error.js';
import { FencingTokens, LockNotHeldError } from './fencing-tokens.js';
import { LockBusyError, LockUnavailableError } from './lock-errors.js';
import { LockLease } from './lock-lease.js';
import { RedlockDriver, type HeldLock } from './redlock-driver.js';

export interface LockServiceOptions {
  /** One client, or N independent Redis nodes (a majority must agree). */
  clients: RedisClient[];
  keys: KeyBuilder;
  /** Key namespace for lock and fencing keys (default 'locks'). */
  namespace?: string;
  /** Lease length in ms when withLock gets none (default 10 000). */
  defaultTtl?: number;
  /** Max ms to wait for a busy lock when withLock gets none (default 5 000; 0 = try once). */
  defaultWait?: number;
  /** Clock drift allowance as a fraction of ttl (redlock's driftFactor, default 0.01). */
  driftFactor?: number;
  /** Cap on acquisition attempts per call in addition to `wait` (default: unlimited). */
  retryCount?: number;
  /** Pause between attempts on a busy lock, ms (default 50, plus up to ±retryJitter). */
  retryDelay?: number;
  retryJitter?: number;
  /** Deadline for each Redis call made for a lock (default 1 000 ms). */
  operationTimeout?: number;
}

export interface WithLockOptions {
  /** Lease in ms; extended automatically while fn runs. */
  ttl?: number;
  /** Max ms to wait for the lock; 0 = try once. */
  wait?: number;
  /** Extend this many ms before the lease ends (default ttl / 3). */
  extendBefore?: number;
}

export interface LockContext {
  /** Aborted (reason: LockLostError) when the lease is lost: stop before any further side effect. */
  readonly signal: AbortSignal;
  /** Strictly increasing per resource: pass it to storage that can reject stale writers. */
  readonly fencingToken: number;
  readonly resources: readonly string[];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Distributed mutual exclusion on redlock. The result of `fn` is returned even if the lease was
 * lost meanwhile; `fn` should check `signal` (or pass it to its I/O) before doing anything that
 * requires exclusivity, and hand `fencingToken` to stores that can enforce ordering.
 */
/** Lock figures since start (exported to Prometheus by registerCacheMetrics). */
export interface LockStats {
  /** Locks taken. */
  acquired: number;
  /** Acquisition rounds that found a resource held by someone else (each retry counts). */
  contended: number;
  /** withLock calls that gave up: still busy after the wait, or Redis unavailable. */
  busy: number;
  unavailable: number;
}

export class LockService {
  readonly stats: LockStats = { acquired: 0, contended: 0, busy: 0, unavailable: 0 };
  private readonly driver: RedlockDriver;
  private readonly fencing: FencingTokens;
  private readonly namespace: string;
  private readonly defaultTtl: number;
  private readonly defaultWait: number;
  private readonly maxAttempts: number;
  private readonly retryDelay: number;
  private readonly retryJitter: number;

  constructor(private readonly opts: LockServiceOptions) {
    if (!opts.clients.length) throw new TypeError('LockService needs at least one Redis client');
    const timeoutMs = opts.operationTimeout ?? DEFAULT_OPERATION_TIMEOUT_MS;
    this.driver = new RedlockDriver(opts.clients, { driftFactor: opts.driftFactor ?? 0.01, timeoutMs });
    this.fencing = new FencingTokens(opts.clients, timeoutMs);
    this.namespace = opts.namespace ?? 'locks';
    this.defaultTtl = opts.defaultTtl ?? 10_000;
    this.defaultWait = opts.defaultWait ?? 5_000;
    this.maxAttempts = opts.retryCount === undefined || opts.retryCount < 0 ? Infinity : opts.retryCount + 1;
    this.retryDelay = opts.retryDelay ?? 50;
    this.retryJitter = opts.retryJitter ?? 25;
  }

  /** The Redis key holding the lock of `resource` (for diagnostics); hash-tagged with its fencing counter. */
  keyFor(resource: string): string {
    return this.opts.keys.hashTagged(this.namespace, resource);
  }

  /** The Redis key holding the fencing counter of `resource` (same cluster slot as its lock). */
  fencingKeyFor(resource: string): string {
    return this.opts.keys.hashTagged(this.namespace, resource, '_fence');
  }

  async withLock<T>(resource: string | string[], fn: (ctx: LockContext) => Promise<T>, opts: WithLockOptions = {}): Promise<T> {
    // Sorted and unique: two callers locking {a, b} and {b, a} take them in the same order.
    const resources = [...new Set(Array.isArray(resource) ? resource : [resource])].sort();
    if (!resources.length) throw new TypeError('withLock needs at least one resource');
    const ttl = Math.round(opts.ttl ?? this.defaultTtl);
    const wait = Math.max(0, opts.wait ?? this.defaultWait);
    const extendBefore = Math.round(opts.extendBefore ?? ttl / 3);
    if (ttl <= 0 || extendBefore <= 0 || extendBefore >= ttl) {
      throw new RangeError(`withLock: need 0 < extendBefore (${extendBefore}) < ttl (${ttl})`);
    }

    const { locks, fencingToken } = await this.acquire(resources, ttl, wait);
    const lease = new LockLease(this.driver, locks, resources, ttl, extendBefore);
    try {
      return await fn({ signal: lease.signal, fencingToken, resources });
    } finally {
      await lease.release();
    }
  }

  /** The fencing token for the locks just taken; undefined when a lease already ran out (try again). */
  private async nextToken(resources: string[], held: HeldLock[]): Promise<number | undefined> {
    try {
      return await this.fencing.next(
        resources.map((r, i) => ({ lockKey: this.keyFor(r), value: held[i].value, tokenKey: this.fencingKeyFor(r) })),
      );
    } catch (error) {
      if (error instanceof LockNotHeldError) return undefined;
      await Promise.all(held.map((lock) => this.driver.release(lock)));
      if (error instanceof AggregateError || error instanceof RedisUnavailableError) {
        this.stats.unavailable++;
        throw new LockUnavailableError(resources, `fencing token: ${error.message}`, { cause: error });
      }
      throw error;
    }
  }

  /**
   * All-or-nothing rounds: take every resource, or release what we got and wait before the next
   * round. Never holding some locks while waiting for others avoids both deadlocks and leases
   * expiring during a long wait.
   */
  private async acquire(resources: string[], ttl: number, wait: number): Promise<{ locks: HeldLock[]; fencingToken: number }> {
    const started = Date.now();
    const deadline = started + wait;
    for (let attempt = 1; ; attempt++) {
      const held: HeldLock[] = [];
      let busy = false;
      for (const resource of resources) {
        const outcome = await this.driver.acquire([this.keyFor(resource)], ttl);
        if (outcome.ok) {
          held.push(outcome.lock);
          continue;
        }
        await Promise.all(held.map((lock) => this.driver.release(lock)));
        if (outcome.reason === 'unavailable') {
          this.stats.unavailable++;
          throw new LockUnavailableError(resources, outcome.detail);
        }
        busy = true;
        break;
      }
      if (!busy) {
        const fencingToken = await this.nextToken(resources, held);
        if (fencingToken !== undefined) {
          this.stats.acquired++;
          return { locks: held, fencingToken };
        }
        // A lease ran out before the token was drawn (a stall): start over like a busy round.
        await Promise.all(held.map((lock) => this.driver.release(lock)));
      }
      this.stats.contended++;
      const remaining = deadline - Date.now();
      if (remaining <= 0 || attempt >= this.maxAttempts) {
        this.stats.busy++;
        throw new LockBusyError(resources, Date.now() - started);
      }
      const jitter = Math.round((Math.random() * 2 - 1) * this.retryJitter);
      await sleep(Math.min(remaining, Math.max(1, this.retryDelay + jitter)));
    }
  }
}
