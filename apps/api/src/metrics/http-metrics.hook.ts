import type { FastifyInstance } from 'fastify';
import type { LatencySeries } from './latency-histogram.js';
import type { MetricsRegistry } from './metrics.registry.js';

/** Records one response in the latency histogram. */
export type LatencyRecorder = (method: string, route: string, status: number, seconds: number) => void;

/**
 * The latency histogram's recorder. The label is the route pattern (`/api/v1/products/:id`), never
 * the raw URL, so cardinality stays bounded. The series of each (method, route, status) is kept,
 * so a response costs one map lookup; the map is as bounded as the label set itself.
 */
export function latencyRecorder(metrics: MetricsRegistry): LatencyRecorder {
  const children = new Map<string, LatencySeries>();
  return (method, route, status, seconds) => {
    const id = `${method} ${status} ${route}`;
    let child = children.get(id);
    if (child === undefined) {
      child = metrics.httpDuration.labels({ method, route, status: String(status) });
      children.set(id, child);
    }
    child.observe(seconds);
  };
}

/** Observes every response Fastify sends; returns the recorder for answers sent without Fastify (front door). */
export function registerHttpMetrics(fastify: FastifyInstance, metrics: MetricsRegistry): LatencyRecorder {
  const record = latencyRecorder(metrics);
  fastify.addHook('onResponse', (request, reply, done) => {
    record(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  return record;
}
