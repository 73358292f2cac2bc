import { Injectable, type OnModuleInit } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { CacheStats, CircuitBreaker, LockService, registerCacheMetrics } from '@app/cache';
import { QueueAdmin, registerOutboxMetrics } from '@app/jobs';

const DELAY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** The worker's Prometheus figures, served on its own port (see WorkerHttpServer). */
@Injectable()
export class WorkerMetrics implements OnModuleInit {
  readonly registry = new Registry();
  readonly jobs = new Counter({
    name: 'worker_jobs_total',
    help: 'Jobs finished, by queue and outcome (completed, failed = an attempt failed)',
    labelNames: ['queue', 'outcome'],
    registers: [this.registry],
  });
  readonly jobDuration = new Histogram({
    name: 'worker_job_duration_seconds',
    help: 'Time spent in a job handler',
    labelNames: ['queue'],
    buckets: DELAY_BUCKETS,
    registers: [this.registry],
  });
  readonly effectDelay = new Histogram({
    name: 'outbox_event_effect_delay_seconds',
    help: 'From the commit of an outbox event to its effect applied by a handler',
    labelNames: ['queue'],
    buckets: DELAY_BUCKETS,
    registers: [this.registry],
  });
  readonly relayed = new Counter({
    name: 'outbox_relayed_events_total',
    help: 'Outbox events relayed to the queues',
    registers: [this.registry],
  });
  readonly relayErrors = new Counter({
    name: 'outbox_relay_errors_total',
    help: 'Relay rounds that failed (events stay pending and are retried)',
    registers: [this.registry],
  });
  readonly relayDelay = new Histogram({
    name: 'outbox_relay_delay_seconds',
    help: 'From the commit of an outbox event to its relay',
    buckets: DELAY_BUCKETS,
    registers: [this.registry],
  });

  constructor(
    private readonly queues: QueueAdmin,
    private readonly cacheStats: CacheStats,
    private readonly breaker: CircuitBreaker,
    private readonly locks: LockService,
  ) {}

  onModuleInit(): void {
    collectDefaultMetrics({ register: this.registry });
    registerCacheMetrics(this.cacheStats, this.registry, { breaker: this.breaker, locks: this.locks.stats });
    registerOutboxMetrics(this.registry, this.queues);
  }
}
