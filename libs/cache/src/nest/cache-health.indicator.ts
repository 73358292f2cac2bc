import { Injectable, Optional } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { CacheService } from '../create-cache.js';
import { withTimeout } from '../resilience/circuit-breaker.js';

/**
 * Terminus indicator: PING with a timeout, reports latency and the circuit state. Redis being down
 * degrades the app (the cache fails open) rather than breaking it, so `downIsDegraded` reports
 * `degraded` instead of `down` when asked to.
 */
@Injectable()
export class CacheHealthIndicator {
  private readonly health: HealthIndicatorService;

  constructor(
    private readonly cache: CacheService,
    @Optional() health?: HealthIndicatorService,
  ) {
    this.health = health ?? new HealthIndicatorService();
  }

  async isHealthy<K extends string = 'redis'>(
    key: K = 'redis' as K,
    opts: { timeoutMs?: number; downIsDegraded?: boolean } = {},
  ): Promise<HealthIndicatorResult<K>> {
    const indicator = this.health.check(key);
    const started = performance.now();
    try {
      await withTimeout(this.cache.cacheClient.ping(), opts.timeoutMs ?? 1_000);
      return indicator.up({ latencyMs: Math.round((performance.now() - started) * 100) / 100, circuit: this.cache.breaker.state });
    } catch (err) {
      const data = { message: (err as Error).message, circuit: this.cache.breaker.state };
      return opts.downIsDegraded ? indicator.degraded(data) : indicator.down(data);
    }
  }
}
