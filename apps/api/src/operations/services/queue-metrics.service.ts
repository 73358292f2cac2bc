import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { QueueAdmin, registerOutboxMetrics, type QueueCounts } from '@app/jobs';
import { MetricsRegistry } from '../../metrics/metrics.registry.js';

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
        for (const c of counts)
          for (const state of ['waiting', 'active', 'delayed', 'failed', 'completed'] as const)
            this.set({ queue: c.name, state }, c[state]);
      },
    });
    registerOutboxMetrics(this.metrics.registry, queues);
  }
}
