import { Registry } from 'prom-client';
import { CircuitBreaker } from '../resilience/circuit-breaker.js';
import { CacheStats } from './cache-stats.js';
import { registerCacheMetrics } from './prometheus.js';

describe('Prometheus exporter', () => {
  it('exposes the in-memory counters per namespace at scrape time', async () => {
    const stats = new CacheStats();
    const registry = new Registry();
    const breaker = new CircuitBreaker({ failureThreshold: 1 });
    const unregister = registerCacheMetrics(stats, registry, { breaker });
    const p = stats.for('products');
    p.hits += 3;
    p.misses += 1;
    p.loads += 1;
    p.loadTimeMsTotal += 12;
    stats.for('users').errors += 2;
    let text = await registry.metrics();
    expect(text).toContain('cache_hits_total{namespace="products"} 3');
    expect(text).toContain('cache_misses_total{namespace="products"} 1');
    expect(text).toContain('cache_load_time_ms_total{namespace="products"} 12');
    expect(text).toContain('cache_errors_total{namespace="users"} 2');
    expect(text).toContain('cache_hit_ratio{namespace="products"} 0.75');
    expect(text).toContain('cache_circuit_open 0');
    p.hits += 1;
    breaker.failure(new Error('down'));
    text = await registry.metrics();
    expect(text).toContain('cache_hits_total{namespace="products"} 4');
    expect(text).toContain('cache_circuit_open 1');
    unregister();
    expect(await registry.metrics()).not.toContain('cache_hits_total');
  });

  it('snapshot() totals across namespaces', () => {
    const stats = new CacheStats();
    stats.for('a').hits = 2;
    stats.for('b').hits = 3;
    stats.for('b').misses = 5;
    const s = stats.snapshot();
    expect(s.totals).toMatchObject({ hits: 5, misses: 5, hitRate: 0.5 });
    expect(s.namespaces.a.hitRate).toBe(1);
  });
});
