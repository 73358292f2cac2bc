import type { KeyBuilder } from '../keys/key-builder.js';
import { release } from '../redis/scripts.js';
import { FAILED, type GuardedRedis } from '../resilience/guarded-redis.js';
import { newToken, type Entry } from '../serialization/envelope.js';
import type { NamespaceCounters } from '../stats/cache-stats.js';
import type { EntryReader, ReadResult } from './entry-reader.js';
import type { ResolvedOptions } from './options.js';

/**
 * What a miss found at the lock: the value another holder stored meanwhile, or the go-ahead to load
 * (`token`/`lockKey` when we hold the lock; without them after a Redis failure or a wait that ran
 * out) with the freshest read to compare-and-set against.
 */
export type WaitOutcome = { hit: Entry } | { timedOut: true } | { token?: string; lockKey?: string; read: ReadResult };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The distributed load lock, so that one loader per entry runs across all instances: SET NX PX with
 * a random token. A caller that finds the lock taken polls the entry until the holder stored it, the
 * lock frees or lockWaitMs passes (then it loads itself). Release is value-checked (a Lua script),
 * so a holder whose lease ran out never frees the next holder's lock.
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
  ) {}

  /**
   * SET NX PX; if busy, poll the entry (backoff 10→100 ms) until the holder stored it, the lock
   * frees, or waitMs (then the caller loads itself). With hardTimeoutMs, a wait that reaches it
   * ends as `timedOut`: the caller never waits past its own deadline for another holder.
   */
  async acquireOrWait(k: string, read: ReadResult, o: ResolvedOptions): Promise<WaitOutcome> {
    const token = newToken() + newToken();
    const ttl = o.hardTimeoutMs ? o.hardTimeoutMs + 1_000 : this.ttlMs;
    const start = Date.now();
    const hardDeadline = o.hardTimeoutMs ? start + o.hardTimeoutMs : Infinity;
    const deadline = Math.min(start + this.waitMs, hardDeadline);
    let latest = read;
    let delay = 10;
    for (;;) {
      const lockKey = this.keyFor(k, latest);
      const got = await this.redis.run((c) => c.set(lockKey, token, 'PX', ttl, 'NX'), this.counters);
      if (got === FAILED) return { read: latest };
      if (got === 'OK') {
        // Double-check: the previous holder may have stored between our read and our SET NX.
        const again = await this.reader.read(k, o.tags);
        const e = again.entry;
        if (e !== undefined && Date.now() < e.freshUntil && storedSince(e, read, o)) {
          this.release(lockKey, token);
          return { hit: e };
        }
        return { token, lockKey, read: again.ok ? again : latest };
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
   * One SET NX PX per entry in one round trip (each is its own command: the keys may live in
   * different cluster slots). The tokens of the locks we got, by entry key; FAILED when Redis failed.
   */
  async tryMany(entries: readonly { k: string; read: ReadResult }[], ttl: number): Promise<Map<string, { lockKey: string; token: string }> | typeof FAILED> {
    const attempts = entries.map(({ k, read }) => ({ k, lockKey: this.keyFor(k, read), token: newToken() + newToken() }));
    const got = await this.redis.run((c) => Promise.all(attempts.map((a) => c.set(a.lockKey, a.token, 'PX', ttl, 'NX'))), this.counters);
    if (got === FAILED) return FAILED;
    const held = new Map<string, { lockKey: string; token: string }>();
    attempts.forEach((a, i) => {
      if (got[i] === 'OK') held.set(a.k, { lockKey: a.lockKey, token: a.token });
    });
    return held;
  }

  /** Frees the lock if it still holds `token`; fire and forget (an unreleased lock expires with its lease). */
  release(lockKey: string, token: string): void {
    void this.redis.run((c) => release(c, lockKey, token));
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
}

/** Whether a fresh entry answers this load: any does, except for forceFresh, which wants one stored after its read. */
function storedSince(e: Entry, read: ReadResult, o: ResolvedOptions): boolean {
  return !o.forceFresh || e.head !== read.head;
}
