import { Processor } from '@nestjs/bullmq';
import { Inject } from '@nestjs/common';
import type { Job } from 'bullmq';
import { BestsellersService, CATALOG_EVENTS, type ProductDeletedEvent } from '@app/catalog';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { QUEUES, type EventJobData } from '@app/jobs';
import { ORDER_EVENTS, type OrderCancelledEvent, type OrderPlacedEvent } from '@app/orders';
import { WorkerMetrics } from '../metrics/worker-metrics.service.js';
import { EventProcessor, PROCESSOR_OPTIONS } from './event-processor.js';

/** Units sold: a placed order adds, a cancelled one takes back (each event applied once, by its id). */
@Processor(QUEUES.bestsellers, PROCESSOR_OPTIONS)
export class BestsellersProcessor extends EventProcessor {
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    metrics: WorkerMetrics,
    private readonly bestsellers: BestsellersService,
  ) {
    super(QUEUES.bestsellers, config, metrics);
  }

  protected async handle(job: Job<EventJobData>): Promise<{ applied: boolean }> {
    const { eventId, payload } = job.data;
    switch (job.name) {
      case ORDER_EVENTS.placed:
        return { applied: await this.bestsellers.recordSale((payload as OrderPlacedEvent).items, eventId) };
      case ORDER_EVENTS.cancelled:
        return { applied: await this.bestsellers.recordReturn((payload as OrderCancelledEvent).items, eventId) };
      case CATALOG_EVENTS.productDeleted:
        await this.bestsellers.forget((payload as ProductDeletedEvent).productId);
        return { applied: true };
      default:
        throw new Error(`no bestsellers handler for ${job.name}`);
    }
  }
}
