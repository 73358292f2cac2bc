import { Processor } from '@nestjs/bullmq';
import { Inject } from '@nestjs/common';
import type { Job } from 'bullmq';
import { LockBusyError, LockService } from '@app/cache';
import { CatalogWarmer } from '@app/catalog';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { MAINTENANCE_JOBS, QUEUES } from '@app/jobs';
import { PaymentExpiryService } from '@app/orders';
import { Housekeeping } from '../maintenance/housekeeping.service.js';
import { WorkerMetrics } from '../metrics/worker-metrics.service.js';
import { EventProcessor, PROCESSOR_OPTIONS } from './event-processor.js';

/**
 * Scheduled work. Payment expiry is exact with any number of workers on its own (row locks);
 * housekeeping and warming also run under a distributed lock so that two workers do not repeat the
 * same sweep at the same moment (a busy lock means another worker is doing it: the job succeeds).
 */
@Processor(QUEUES.maintenance, PROCESSOR_OPTIONS)
export class MaintenanceProcessor extends EventProcessor {
  constructor(
    @Inject(APP_CONFIG) private readonly settings: AppConfig,
    metrics: WorkerMetrics,
    private readonly expiry: PaymentExpiryService,
    private readonly housekeeping: Housekeeping,
    private readonly warmer: CatalogWarmer,
    private readonly locks: LockService,
  ) {
    super(QUEUES.maintenance, settings, metrics);
  }

  protected async handle(job: Job): Promise<unknown> {
    switch (job.name) {
      case MAINTENANCE_JOBS.paymentExpiry:
        return { cancelled: await this.expiry.expireUnpaid() };
      case MAINTENANCE_JOBS.housekeeping:
        return this.exclusive('worker:housekeeping', () => this.housekeeping.run());
      case MAINTENANCE_JOBS.warmCache:
        return this.exclusive('worker:warm-cache', async () => ({
          warmed: await this.warmer.warmMostRead(this.settings.worker.warmProducts),
        }));
      default:
        throw new Error(`no maintenance handler for ${job.name}`);
    }
  }

  private async exclusive<T>(resource: string, work: () => Promise<T>): Promise<T | { skipped: 'running elsewhere' }> {
    try {
      return await this.locks.withLock(resource, () => work(), { ttl: 60_000, wait: 0 });
    } catch (error) {
      if (error instanceof LockBusyError) return { skipped: 'running elsewhere' };
      throw error;
    }
  }
}
