import type { FastifyInstance } from 'fastify';
import type { LatencySeries } from './latency-histogram.js';
import type { MetricsRegistry } from './metrics.registry.js';

/**
 * Observes every response in the latency histogram. The label is the route pattern
 * (`/api/v1/products/:id`), never the raw URL, so cardinality stays bounded.
 *
 * The series of each (method, route, status) is kept, so a request costs one map lookup; the map is
 * as bounded as the label set itself.
 */
export function registerHttpMetrics(fastify: FastifyInstance, metrics: MetricsRegistry): void {
  const children = new Map<string, LatencySeries>();
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    const id = `${request.method} ${status} ${route}`;
    let child = children.get(id);
    if (child === undefined) {
      child = metrics.httpDuration.labels({ method: request.method, route, status: String(status) });
      children.set(id, child);
    }
    child.observe(reply.elapsedTime / 1000);
    done();
  });
}
