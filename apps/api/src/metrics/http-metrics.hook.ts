import type { FastifyInstance } from 'fastify';
import type { MetricsRegistry } from './metrics.registry.js';

/**
 * Observes every response in the latency histogram. The label is the route pattern
 * (`/api/v1/products/:id`), never the raw URL, so cardinality stays bounded.
 */
export function registerHttpMetrics(fastify: FastifyInstance, metrics: MetricsRegistry): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });
}
