import { LockLostError } from './lock-errors.js';
import type { HeldLock, RedlockDriver } from './redlock-driver.js';

const UNAVAILABLE_RETRY_MS = 100;

/**
 * Keeps held locks alive while the holder runs: extends each lease `extendBefore` ms before it
 * ends, retries while Redis is briefly unreachable, and aborts `signal` (reason: LockLostError)
 * as soon as the lease is refused (someone else's value) or runs out.
 */
export class LockLease {
  private readonly controller = new AbortController();
  private extendTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> | undefined;
  private ended = false;

  constructor(
    private readonly driver: RedlockDriver,
    private locks: HeldLock[],
    private readonly resources: readonly string[],
    private readonly ttl: number,
    private readonly extendBefore: number,
  ) {
    this.schedule();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Stops extending and releases (value-checked). Safe after the lease was lost. */
  async release(): Promise<void> {
    this.ended = true;
    this.clearTimers();
    await this.inflight;
    await Promise.all(this.locks.map((lock) => this.driver.release(lock)));
  }

  private get expiresAt(): number {
    return Math.min(...this.locks.map((l) => l.expiration));
  }

  private schedule(delay = this.expiresAt - this.extendBefore - Date.now()): void {
    this.clearTimers();
    this.extendTimer = setTimeout(
      () => {
        // An unexpected error must not become an unhandled rejection (nor surface from release()).
        this.inflight = this.extend().catch((error: unknown) => this.lose(`extension failed: ${(error as Error)?.message ?? error}`));
      },
      Math.max(0, delay),
    );
    // Watchdog: if no extension landed in time (event loop stalled, Redis hanging), the lease is gone.
    this.expiryTimer = setTimeout(() => this.lose('lease expired before it could be extended'), Math.max(0, this.expiresAt - Date.now()));
  }

  private async extend(): Promise<void> {
    if (this.ended) return;
    const outcomes = await Promise.all(this.locks.map((lock) => this.driver.extend(lock, this.ttl)));
    this.locks = outcomes.map((o, i) => (o.ok ? o.lock : this.locks[i]));
    if (this.ended) return;
    const lost = outcomes.find((o) => !o.ok && o.reason === 'lost');
    if (lost && !lost.ok) return this.lose(lost.detail);
    const unavailable = outcomes.find((o) => !o.ok);
    if (unavailable && !unavailable.ok) {
      // Keep trying while the lease still runs; the watchdog aborts when it ends.
      if (this.expiresAt - Date.now() > UNAVAILABLE_RETRY_MS) return this.schedule(UNAVAILABLE_RETRY_MS);
      return this.lose(`could not extend: ${unavailable.detail}`);
    }
    this.schedule();
  }

  private lose(detail: string): void {
    this.clearTimers();
    if (this.ended || this.controller.signal.aborted) return;
    this.controller.abort(new LockLostError(this.resources, detail));
  }

  private clearTimers(): void {
    clearTimeout(this.extendTimer);
    clearTimeout(this.expiryTimer);
  }
}
