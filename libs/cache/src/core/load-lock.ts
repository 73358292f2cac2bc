import type { KeyBuilder } from '../keys/key-builder.js';
import { acquireLoadLock, acquireLoadLockAndRead, releaseLoadLock, type HeldLock } from '../redis/load-lock-scripts.js';
import { FAILED, type GuardedRedis } from '../resilience/guarded-redis.js';
import { newToken, type Entry } from '../serialization/envelope.js';
import type { NamespaceCounters } from '../stats/cache-stats.js';
import type { EntryReader, ReadResult } from './entry-reader.js';
import type { ResolvedOptions } from './options.js';

export type { HeldLock };

/**
 * What a miss found at the lock: the value another holder stored meanwhile, or the go-ahead to load
 * (`lock` when we hold it; without it after a Redis failure or a wait that ran out) with the
 * freshest read to compare-and-set against.
 */
export type WaitOutcome = { hit: Entry } | { timedOut: true } | { lock?: HeldLock; read: ReadResult };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The distributed load lock, so that one loader per entry runs across all instances: SET NX PX with
 * a random token. A caller that finds the lock taken polls the entry until the holder stored it, the
 * lock frees or lockWaitMs passes (then it loads itself). Release is value-checked (a Lua script),
 * so a holder whose lease ran out never frees the next holder's lock. Taking the lock also makes the
 * entry's fence name our token (load-lock-scripts.ts), and the holder's store goes through only
 * while it still does: a holder that outlived its lease (GC pause, SIGSTOP, slow loader) cannot
 * write once another holder took over, even when both expected the same entry head.
 */
export class LoadLock {
  constructor(
    private readonly redis: GuardedRedis,
    private readonly keys: KeyBuilder,
    private readonly namespace: string,
    private readonly reader: EntryReader,
    private readonly counters: NamespaceCounters,
    /** Lease when the load has no hardTimeoutMs (then hardTimeoutMs + 1 s). */
    private readonly ttlMs: number,
    /** How long a waiter polls for the holder's value before loading itself. */
    private readonly waitMs: number,
    /** Longest load whose value is still stored (the tombstone lifetime): the fence outlives it. */
    private readonly maxLoadMs: number,
  ) {}

  /**
   * SET NX PX; if busy, poll the entry (backoff 10→100 ms) until the holder stored it, the lock
   * frees, or waitMs (then the caller loads itself). With hardTimeoutMs, a wait that reaches it
   * ends as `timedOut`: the caller never waits past its own deadline for another holder.
   */
  async acquireOrWait(k: string, read: ReadResult, o: ResolvedOptions): Promise<WaitOutcome> {
    const token = newToken() + newToken();
    const fenceKey = this.fenceFor(k);
    const ttl = o.hardTimeoutMs ? o.hardTimeoutMs + 1_000 : this.ttlMs;
    const start = Date.now();
    const hardDeadline = o.hardTimeoutMs ? start + o.hardTimeoutMs : Infinity;
    const deadline = Math.min(start + this.waitMs, hardDeadline);
    let latest = read;
    let delay = 10;
    for (;;) {
      const lock: HeldLock = { lockKey: this.keyFor(k, latest), fenceKey, token };
      const taken = await this.attempt(k, lock, ttl, o.tags);
      if (taken === FAILED) return { read: latest };
      if (taken !== null) {
        // Double-check: the previous holder may have stored between our read and our SET NX.
        const e = taken.entry;
        if (e !== undefined && Date.now() < e.freshUntil && storedSince(e, read, o)) {
          this.release(lock);
          return { hit: e };
        }
        return { lock, read: taken.ok ? taken : latest };
      }
      const now = Date.now();
      if (now >= hardDeadline) return { timedOut: true };
      if (now >= deadline) return { read: latest };
      await sleep(Math.min(delay, deadline - now));
      delay = Math.min(delay * 1.5, 100);
      const again = await this.reader.read(k, o.tags);
      const e = again.entry;
      if (e !== undefined && Date.now() < e.freshUntil && storedSince(e, read, o)) return { hit: e };
      if (!again.ok) return { read: latest };
      latest = again;
    }
  }

  /**
   * One attempt at `lock`: when taken, the entry read again (where one script can, it reads it
   * along with the SET NX: one round trip); null when the lock is busy; FAILED when Redis failed.
   */
  private async attempt(
    k: string,
    lock: HeldLock,
    ttl: number,
    tags: readonly string[] | undefined,
  ): Promise<ReadResult | null | typeof FAILED> {
    const fenceMs = this.fenceMs(ttl);
    const together = this.reader.lockAndRead(k, tags, (c, versionKey) => acquireLoadLockAndRead(c, lock, ttl, fenceMs, versionKey, k));
    if (together !== undefined) return together;
    const got = await this.redis.run((c) => acquireLoadLock(c, lock, ttl, fenceMs), this.counters);
    if (got === FAILED) return FAILED;
    return got ? this.reader.read(k, tags) : null;
  }

  /**
   * One lock attempt per entry in one round trip (each its own script call: the keys may live in
   * different cluster slots). The locks we got, by entry key; FAILED when Redis failed.
   */
  async tryMany(entries: readonly { k: string; read: ReadResult }[], ttl: number): Promise<Map<string, HeldLock> | typeof FAILED> {
    const attempts = entries.map(({ k, read }) => ({
      k,
      lock: { lockKey: this.keyFor(k, read), fenceKey: this.fenceFor(k), token: newToken() + newToken() },
    }));
    const fenceMs = this.fenceMs(ttl);
    const got = await this.redis.run((c) => Promise.all(attempts.map((a) => acquireLoadLock(c, a.lock, ttl, fenceMs))), this.counters);
    if (got === FAILED) return FAILED;
    const held = new Map<string, HeldLock>();
    attempts.forEach((a, i) => {
      if (got[i]) held.set(a.k, a.lock);
    });
    return held;
  }

  /**
   * Frees the lock and the fence where still ours; fire and forget (an unreleased lock expires with
   * its lease). Nothing to send when the store already freed them (casSetAndRelease).
   */
  release(lock: HeldLock): void {
    if (lock.freed) return;
    void this.redis.run((c) => releaseLoadLock(c, lock));
  }

  /**
   * The load lock is per (entry, observed state): instances that saw the same entry head and
   * namespace version (and tag versions) share one loader, while a caller that already saw an
   * invalidation never waits for a load started before it (its store fails the compare-and-set, or
   * its value carries the old tag versions).
   */
  private keyFor(k: string, r: ReadResult): string {
    const base = `${this.keys.lockFor(this.namespace, k)}:${r.nsVersion}:${r.head || '-'}`;
    return r.mark ? `${base}:${r.mark}` : base;
  }

  /** One fence per entry, whatever state its lock was taken for: any later holder fences us out. */
  private fenceFor(k: string): string {
    return `${this.keys.lockFor(this.namespace, k)}:fence`;
  }

  /** The fence outlives every load that may still store: up to a lease until the loader starts, then maxLoadMs. */
  private fenceMs(leaseMs: number): number {
    return leaseMs + this.maxLoadMs;
  }
}

/** Whether a fresh entry answers this load: any does, except for forceFresh, which wants one stored after its read. */
function storedSince(e: Entry, read: ReadResult, o: ResolvedOptions): boolean {
  return !o.forceFresh || e.head !== read.head;
}
