import type { RedisClient } from '../redis/connection.js';
import { CircuitBreaker, withTimeout } from './circuit-breaker.js';

/** Returned instead of throwing when Redis could not be used (open circuit, timeout, connection error). */
export const FAILED: unique symbol = Symbol('cache.failed');
export type Failed = typeof FAILED;

/**
 * Runs Redis commands behind the circuit breaker and never throws: the cache fails open.
 * A client created by createRedisConnection has a commandTimeout, so no extra timer is armed
 * per call; for foreign clients without one, each call gets its own deadline.
 */
export class GuardedRedis {
  private readonly timeoutMs: number | undefined;
  private readonly onError?: (err: unknown) => void;

  constructor(
    readonly client: RedisClient,
    readonly breaker: CircuitBreaker,
    opts: { timeoutMs?: number; onError?: (err: unknown) => void } = {},
  ) {
    const options = client.options as { commandTimeout?: number; redisOptions?: { commandTimeout?: number } };
    const native = options.commandTimeout ?? options.redisOptions?.commandTimeout;
    this.timeoutMs = native ? undefined : (opts.timeoutMs ?? 500);
    this.onError = opts.onError;
  }

  /** True when a call would be attempted (closed or probe available). Does not consume the probe. */
  get available(): boolean {
    return this.breaker.state === 'closed';
  }

  /** Runs fn; on failure counts it in `counters.errors` (when given) and returns FAILED. */
  async run<T>(fn: (client: RedisClient) => Promise<T>, counters?: { errors: number }): Promise<T | Failed> {
    if (!this.breaker.allow()) return FAILED;
    try {
      const p = fn(this.client);
      const result = this.timeoutMs ? await withTimeout(p, this.timeoutMs) : await p;
      this.breaker.success();
      return result;
    } catch (err) {
      this.breaker.failure(err);
      if (counters) counters.errors++;
      this.onError?.(err);
      return FAILED;
    }
  }
}
