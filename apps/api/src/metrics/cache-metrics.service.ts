import { Injectable, type OnModuleInit } from '@nestjs/common';
import { CacheStats, CircuitBreaker, registerCacheMetrics } from '@app/cache';
import { MetricsRegistry } from './metrics.registry.js';

/** Exposes libs/cache figures (hits, misses, loads, stale serves, errors per namespace) on /metrics. */
@Injectable()
export class CacheMetricsRegistration implements OnModuleInit {
  constructor(
    private readonly metrics: MetricsRegistry,
    private readonly stats: CacheStats,
    private readonly breaker: CircuitBreaker,
  ) {}

  onModuleInit(): void {
    registerCacheMetrics(this.stats, this.metrics.registry, { breaker: this.breaker });
  }
}
