import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import type { CachedReadCounts } from '../http/cached-reads.js';
import { LatencyHistogram } from './latency-histogram.js';

/** One Prometheus registry per app instance (one process may hold several app instances). */
export class MetricsRegistry {
  readonly registry = new Registry();
  /** Labels: method, route (the pattern), status. */
  readonly httpDuration: LatencyHistogram;
  /** Checkouts answered with the stored answer of an earlier request with the same Idempotency-Key. */
  readonly idempotentReplays: Counter;
  /** GETs answered from L1 before Nest routed them (http/cached-reads.ts), by route: read when scraped. */
  readonly cachedReads: CachedReadCounts = new Map();
  /** GETs answered by the front door, before Fastify (http/front-door.ts), by route: read when scraped. */
  readonly frontDoor = new Map<string, number>();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new LatencyHistogram(
      'http_request_duration_seconds',
      'HTTP request latency by method, route pattern and status code',
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      this.registry,
    );
    this.idempotentReplays = new Counter({
      name: 'orders_idempotent_replays_total',
      help: 'Checkouts answered by replaying the first answer of their Idempotency-Key',
      registers: [this.registry],
    });
    const cachedReads = this.cachedReads;
    this.routeCounter('http_cached_reads_total', 'Public GETs answered from the L1 cache before Nest routed them, by route pattern', () =>
      [...cachedReads].map(([route, c]) => [route, c.answered]),
    );
    const frontDoor = this.frontDoor;
    this.routeCounter(
      'http_front_door_answers_total',
      'Requests answered before Fastify (a product L1 holds, a guest cart, a guest adding to its cart), by route pattern',
      () => frontDoor.entries(),
    );
  }

  /** A counter by route whose values are read from `read` when scraped (the hot path only increments numbers). */
  private routeCounter(name: string, help: string, read: () => Iterable<[string, number]>): void {
    new Counter({
      name,
      help,
      labelNames: ['route'],
      registers: [this.registry],
      collect(this: Counter<'route'>) {
        this.reset();
        for (const [route, n] of read()) this.inc({ route }, n);
      },
    });
  }
}
