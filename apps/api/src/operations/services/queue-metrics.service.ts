import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { QueueAdmin, type QueueCounts } from '@app/jobs';
import { MetricsRegistry } from '../../metrics/metrics.registry.js';

type Backlog = { pending: number; oldestPendingSeconds: number };

/** Queue depth per queue and state, and the outbox backlog, read when Prometheus scrapes. */
@Injectable()
export class QueueMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: MetricsRegistry,
    private readonly queues: QueueAdmin,
  ) {}

  onModuleInit(): void {
    const queues = this.queues;
    const registers = [this.metrics.registry];
    new Gauge({
      name: 'queue_jobs',
      help: 'Jobs per queue and state (waiting, active, delayed, failed, completed)',
      labelNames: ['queue', 'state'],
      registers,
      async collect(this: Gauge<'queue' | 'state'>) {
        this.reset();
        const counts: QueueCounts[] = await queues.counts().catch(() => []);
        for (const c of counts) for (const state of ['waiting', 'active', 'delayed', 'failed', 'completed'] as const) this.set({ queue: c.name, state }, c[state]);
      },
    });
    // One outbox query per scrape for both gauges.
    let backlog: Promise<Backlog> | null = null;
    const read = (): Promise<Backlog> => (backlog ??= queues.outboxBacklog().finally(() => setImmediate(() => (backlog = null))));
    new Gauge({
      name: 'outbox_pending_events',
      help: 'Outbox events not relayed yet (-1: the database did not answer)',
      registers,
      async collect(this: Gauge) {
        this.set((await read().catch(() => ({ pending: -1 }))).pending);
      },
    });
    new Gauge({
      name: 'outbox_oldest_pending_seconds',
      help: 'Age of the oldest outbox event not relayed yet (-1: the database did not answer)',
      registers,
      async collect(this: Gauge) {
        this.set((await read().catch(() => ({ oldestPendingSeconds: -1 }))).oldestPendingSeconds);
      },
    });
  }
}
