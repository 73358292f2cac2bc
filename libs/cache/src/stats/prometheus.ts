import { Counter, Gauge, type Registry } from 'prom-client';
import type { LockStats } from '../locks/lock.service.js';
import type { CircuitBreaker } from '../resilience/circuit-breaker.js';
import type { CacheStats, NamespaceSnapshot } from './cache-stats.js';

export interface CacheMetricsOptions {
  /** Metric name prefix (default "cache_"). */
  prefix?: string;
  breaker?: CircuitBreaker;
  /** LockService.stats: acquisitions, contention and failures of distributed locks. */
  locks?: LockStats;
}

type CounterField = Exclude<keyof NamespaceSnapshot, 'hitRate'>;

const COUNTERS: [CounterField, string, string][] = [
  ['hits', 'hits_total', 'Cache hits (L1 + Redis)'],
  ['l1Hits', 'l1_hits_total', 'Cache hits answered by the in-process L1'],
  ['misses', 'misses_total', 'Cache misses'],
  ['loads', 'loads_total', 'Loader executions'],
  ['loadTimeMsTotal', 'load_time_ms_total', 'Total loader time in milliseconds'],
  ['staleServes', 'stale_serves_total', 'Stale values served (stale-while-revalidate, soft timeout, fail-safe)'],
  ['errors', 'errors_total', 'Cache (Redis) errors that were failed open'],
  ['loadErrors', 'load_errors_total', 'Failed loads (loader errors and hard timeouts), background refreshes included'],
];

/**
 * Registers collectors on `registry` that read CacheStats when Prometheus scrapes, so the cache hot
 * path never touches prom-client. Returns a function that unregisters them.
 */
export function registerCacheMetrics(stats: CacheStats, registry: Registry, opts: CacheMetricsOptions = {}): () => void {
  const prefix = opts.prefix ?? 'cache_';
  const names: string[] = [];
  for (const [field, suffix, help] of COUNTERS) {
    const name = prefix + suffix;
    names.push(name);
    new Counter({
      name,
      help,
      labelNames: ['namespace'],
      registers: [registry],
      collect(this: Counter<'namespace'>) {
        this.reset();
        for (const [ns, snap] of Object.entries(stats.snapshot().namespaces)) this.inc({ namespace: ns }, snap[field]);
      },
    });
  }
  const hitRate = prefix + 'hit_ratio';
  names.push(hitRate);
  new Gauge({
    name: hitRate,
    help: 'Hits / (hits + misses) since start',
    labelNames: ['namespace'],
    registers: [registry],
    collect(this: Gauge<'namespace'>) {
      for (const [ns, snap] of Object.entries(stats.snapshot().namespaces)) this.set({ namespace: ns }, snap.hitRate);
    },
  });
  if (opts.breaker) {
    const breaker = opts.breaker;
    const name = prefix + 'circuit_open';
    names.push(name);
    new Gauge({
      name,
      help: '1 when the Redis circuit breaker is open or half-open',
      registers: [registry],
      collect(this: Gauge) {
        this.set(breaker.state === 'closed' ? 0 : 1);
      },
    });
  }
  if (opts.locks) {
    const locks = opts.locks;
    const lockCounters: [string, string, () => number][] = [
      ['lock_acquisitions_total', 'Distributed locks taken', () => locks.acquired],
      ['lock_contention_total', 'Lock acquisition rounds that found a resource held by another holder', () => locks.contended],
    ];
    for (const [suffix, help, read] of lockCounters) {
      const name = prefix + suffix;
      names.push(name);
      new Counter({
        name,
        help,
        registers: [registry],
        collect(this: Counter) {
          this.reset();
          this.inc(read());
        },
      });
    }
    const failures = prefix + 'lock_failures_total';
    names.push(failures);
    new Counter({
      name: failures,
      help: 'withLock calls that gave up, by reason (busy after the wait, Redis unavailable)',
      labelNames: ['reason'],
      registers: [registry],
      collect(this: Counter<'reason'>) {
        this.reset();
        this.inc({ reason: 'busy' }, locks.busy);
        this.inc({ reason: 'unavailable' }, locks.unavailable);
      },
    });
  }
  return () => names.forEach((n) => registry.removeSingleMetric(n));
}
