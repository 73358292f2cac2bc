import { WorkerHost } from '@nestjs/bullmq';
import { Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Job } from 'bullmq';
import type { AppConfig } from '@app/common';
import type { WorkerMetrics } from '../metrics/worker-metrics.service.js';

type JobData = { eventId?: string; committedAt?: number };

/**
 * Worker options of every processor. A job held by a worker that died is taken back after its
 * lock expires (lockDuration, checked every stalledInterval): shorter than BullMQ's 30 s defaults,
 * so an effect waits seconds, not a minute. Handlers are idempotent, so a job taken back many times
 * (workers killed again and again) is simply run again instead of failing for good.
 */
export const PROCESSOR_OPTIONS = { lockDuration: 10_000, stalledInterval: 5_000, maxStalledCount: 100 } as const;

/**
 * What every processor shares: its concurrency from the config, and for each job a duration, an
 * outcome counter, the commit-to-effect delay of relayed events, and a log line with the event id
 * when an attempt fails (the last failure leaves the job in the failed set with its error).
 */
export abstract class EventProcessor extends WorkerHost implements OnApplicationBootstrap {
  protected readonly logger: Logger;

  protected constructor(
    private readonly queueName: string,
    private readonly config: AppConfig,
    private readonly metrics: WorkerMetrics,
  ) {
    super();
    this.logger = new Logger(`${queueName}-processor`);
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.worker.concurrency;
    let lastErrorLog = 0;
    // Connection errors (Redis down): BullMQ reconnects by itself; one line per 10 s says so.
    this.worker.on('error', (error: Error) => {
      if (Date.now() - lastErrorLog < 10_000) return;
      lastErrorLog = Date.now();
      this.logger.warn(`queue connection error, retrying: ${error.message}`);
    });
    this.worker.on('failed', (job: Job<JobData> | undefined, error: Error) => {
      this.metrics.jobs.inc({ queue: this.queueName, outcome: 'failed' });
      const attempts = job?.opts.attempts ?? 1;
      this.logger.warn({
        eventId: job?.data?.eventId,
        jobId: job?.id,
        job: job?.name,
        attempt: job?.attemptsMade,
        msg: `${job?.name ?? 'job'} failed (attempt ${job?.attemptsMade ?? '?'} of ${attempts}): ${error.message}`,
      });
    });
    this.worker.on('completed', (job: Job<JobData>) => {
      this.metrics.jobs.inc({ queue: this.queueName, outcome: 'completed' });
      if (typeof job.data?.committedAt === 'number')
        this.metrics.effectDelay.observe({ queue: this.queueName }, (Date.now() - job.data.committedAt) / 1000);
    });
  }

  async process(job: Job): Promise<unknown> {
    const end = this.metrics.jobDuration.startTimer({ queue: this.queueName });
    try {
      return await this.handle(job);
    } finally {
      end();
    }
  }

  protected abstract handle(job: Job): Promise<unknown>;
}
