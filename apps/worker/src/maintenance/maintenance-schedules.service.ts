import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { MAINTENANCE_JOBS, QUEUES, QueueAdmin } from '@app/jobs';

const PAYMENT_EXPIRY_EVERY_MS = 30_000;
const HOUSEKEEPING_EVERY_MS = 3_600_000;
// Workers started within the same window (a deploy) warm the cache once.
const WARM_WINDOW_MS = 5 * 60_000;
const RETRY_MS = 30_000;

/**
 * Registers the schedules (BullMQ job schedulers: one per id however many workers upsert it) and
 * asks for one cache warming per deploy.
 */
@Injectable()
export class MaintenanceSchedules implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MaintenanceSchedules.name);
  private retry: NodeJS.Timeout | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly queues: QueueAdmin,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.register();
  }

  onApplicationShutdown(): void {
    clearTimeout(this.retry);
  }

  private async register(): Promise<void> {
    const queue = this.queues.queue(QUEUES.maintenance);
    try {
      if (this.config.orders.paymentTimeoutMinutes > 0) {
        await queue.upsertJobScheduler(
          MAINTENANCE_JOBS.paymentExpiry,
          { every: PAYMENT_EXPIRY_EVERY_MS },
          { name: MAINTENANCE_JOBS.paymentExpiry },
        );
      } else {
        await queue.removeJobScheduler(MAINTENANCE_JOBS.paymentExpiry);
      }
      await queue.upsertJobScheduler(
        MAINTENANCE_JOBS.housekeeping,
        { every: HOUSEKEEPING_EVERY_MS },
        { name: MAINTENANCE_JOBS.housekeeping },
      );
      if (this.config.worker.warmProducts > 0) {
        const window = Math.floor(Date.now() / WARM_WINDOW_MS);
        await queue.add(MAINTENANCE_JOBS.warmCache, {}, { jobId: `${MAINTENANCE_JOBS.warmCache}-${window}` });
      }
    } catch (error) {
      // Redis is down at start: the worker still starts (it serves health, the relay waits) and tries again.
      this.logger.warn(`schedules not registered, retrying in ${RETRY_MS / 1000} s: ${(error as Error).message}`);
      this.retry = setTimeout(() => void this.register(), RETRY_MS);
      this.retry.unref();
    }
  }
}
