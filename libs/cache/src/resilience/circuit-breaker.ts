/**
 * Circuit breaker in front of Redis. Closed: calls go through and consecutive failures are counted.
 * Open: calls are refused at once (the cache fails open: reads go to the loader, writes are skipped)
 * so a dead or drowning Redis is not hammered. After cooldownMs one probe is let through
 * (half-open); its success closes the circuit, its failure opens it again. Recovery is automatic.
 */
export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit (default 5). */
  failureThreshold?: number;
  /** How long the circuit stays open before a probe (default 1000 ms). */
  cooldownMs?: number;
  onStateChange?: (state: CircuitState) => void;
}

export class CacheUnavailableError extends Error {
  constructor(message = 'Cache unavailable (circuit open)') {
    super(message);
    this.name = 'CacheUnavailableError';
  }
}

export class CacheTimeoutError extends Error {
  constructor(ms: number) {
    super(`Cache operation timed out after ${ms} ms`);
    this.name = 'CacheTimeoutError';
  }
}

export class CircuitBreaker {
  private _state: CircuitState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  readonly failureThreshold: number;
  readonly cooldownMs: number;
  private readonly onStateChange?: (state: CircuitState) => void;

  constructor(opts: CircuitBreakerOptions = {}) {
    this.failureThreshold = Math.max(1, opts.failureThreshold ?? 5);
    this.cooldownMs = Math.max(10, opts.cooldownMs ?? 1_000);
    this.onStateChange = opts.onStateChange;
  }

  get state(): CircuitState {
    return this._state;
  }

  /** Whether a call may go to Redis now. In half-open state only one probe is admitted at a time. */
  allow(): boolean {
    if (this._state === 'closed') return true;
    if (this._state === 'open') {
      if (Date.now() - this.openedAt < this.cooldownMs) return false;
      this.transition('half-open');
    }
    if (this.probing) return false;
    this.probing = true;
    return true;
  }

  success(): void {
    this.failures = 0;
    if (this._state !== 'closed') {
      this.probing = false;
      this.transition('closed');
    }
  }

  /** Only availability failures count; a Redis reply error (WRONGTYPE, NOSCRIPT…) means Redis is up. */
  failure(err?: unknown): void {
    if (isReplyError(err)) {
      this.success();
      return;
    }
    this.probing = false;
    if (this._state === 'half-open' || ++this.failures >= this.failureThreshold) {
      this.openedAt = Date.now();
      this.failures = 0;
      this.transition('open');
    }
  }

  /** Runs fn behind the breaker (and an optional deadline). Throws CacheUnavailableError when open. */
  async run<T>(fn: () => Promise<T>, timeoutMs?: number): Promise<T> {
    if (!this.allow()) throw new CacheUnavailableError();
    try {
      const result = timeoutMs ? await withTimeout(fn(), timeoutMs) : await fn();
      this.success();
      return result;
    } catch (err) {
      this.failure(err);
      throw err;
    }
  }

  /** Forces the circuit closed, e.g. when the client reports 'ready' again. */
  reset(): void {
    this.failures = 0;
    this.probing = false;
    if (this._state !== 'closed') this.transition('closed');
  }

  private transition(state: CircuitState): void {
    if (this._state === state) return;
    this._state = state;
    this.onStateChange?.(state);
  }
}

export function isReplyError(err: unknown): boolean {
  return !!err && typeof err === 'object' && (err as Error).name === 'ReplyError';
}

/**
 * Settles like `work`, unless `ms` pass first: then with what `onDeadline` returns (or throws).
 * The timer is cleared as soon as `work` settles. `unref`: the timer alone never keeps the
 * process alive.
 */
export function raceDeadline<T>(work: Promise<T>, ms: number, onDeadline: () => T, unref = false): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      try {
        resolve(onDeadline());
      } catch (err) {
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- what onDeadline threw, unchanged
        reject(err);
      }
    }, ms);
    if (unref) timer.unref?.();
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- settles like work: its rejection, unchanged
        reject(err);
      },
    );
  });
}

/** Rejects with CacheTimeoutError after ms; the timer never keeps the process alive. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return raceDeadline(
    promise,
    ms,
    () => {
      throw new CacheTimeoutError(ms);
    },
    true,
  );
}
