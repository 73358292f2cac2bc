import { Injectable, type OnModuleInit } from '@nestjs/common';
import { CacheStats, CircuitBreaker, LockService, registerCacheMetrics } from '@app/cache';
import { MetricsRegistry } from './metrics.registry.js';

/** Exposes libs/cache figures (hits, misses, loads, stale serves, errors per namespace; locks) on /metrics. */
@Injectable()
export class CacheMetricsRegistration implements OnModuleInit {
  constructor(
    private readonly metrics: MetricsRegistry,
    private readonly stats: CacheStats,
    private readonly breaker: CircuitBreaker,
    private readonly locks: LockService,
  ) {}

  onModuleInit(): void {
    registerCacheMetrics(this.stats, this.metrics.registry, { breaker: this.breaker, locks: this.locks.stats });
  }
}
