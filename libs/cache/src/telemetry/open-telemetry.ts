import { metrics, SpanStatusCode, trace, type Attributes, type BatchObservableCallback, type Meter } from '@opentelemetry/api';
import type { CacheStats, NamespaceSnapshot } from '../stats/cache-stats.js';

/*
 * OpenTelemetry through @opentelemetry/api only: without a registered SDK every call is a no-op,
 * and with one (registered before or after the cache starts: the API's global providers delegate)
 * loads show up as spans and the cache counters as metrics, next to the Prometheus export.
 * Spans cover loads only (misses): the hit paths stay free of any telemetry call.
 */

const SCOPE = 'libs-cache';
const tracer = trace.getTracer(SCOPE);

/** Runs a load as a span `name` (cache.namespace and, for batches, cache.keys); errors are recorded on it. */
export function traceLoad<T>(name: string, attributes: Attributes, load: () => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await load();
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw err;
    } finally {
      span.end();
    }
  });
}

const COUNTERS: [keyof NamespaceSnapshot, string, string][] = [
  ['hits', 'cache.hits', 'Cache hits (L1 + Redis)'],
  ['l1Hits', 'cache.l1.hits', 'Cache hits answered by the in-process L1'],
  ['misses', 'cache.misses', 'Cache misses'],
  ['loads', 'cache.loads', 'Loader executions'],
  ['loadErrors', 'cache.load.errors', 'Failed loads (loader errors and hard timeouts)'],
  ['staleServes', 'cache.stale_serves', 'Stale values served (grace period, soft timeout, fail-safe)'],
  ['errors', 'cache.errors', 'Redis errors that were failed open, and values that could not be cached'],
];

/**
 * The cache counters as OpenTelemetry observable counters, per namespace (attribute
 * cache.namespace), read from CacheStats at each collection. Returns the function that stops it.
 */
export function registerOpenTelemetryMetrics(stats: CacheStats, meter: Meter = metrics.getMeter(SCOPE)): () => void {
  const counters = COUNTERS.map(([field, name, description]) => [field, meter.createObservableCounter(name, { description })] as const);
  const observe: BatchObservableCallback = (result) => {
    for (const [ns, snap] of Object.entries(stats.snapshot().namespaces)) {
      for (const [field, counter] of counters) result.observe(counter, snap[field], { 'cache.namespace': ns });
    }
  };
  const observables = counters.map(([, c]) => c);
  meter.addBatchObservableCallback(observe, observables);
  return () => meter.removeBatchObservableCallback(observe, observables);
}
