import { WorkerHost } from '@nestjs/bullmq';
import { Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Job } from 'bullmq';
import type { AppConfig } from '@app/common';
import type { WorkerMetrics } from '../metrics/worker-metrics.service.js';

type JobData = { eventId?: string; committedAt?: number };

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
      if (typeof job.data?.committedAt === 'number') this.metrics.effectDelay.observe({ queue: this.queueName }, (Date.now() - job.data.committedAt) / 1000);
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
