import { Processor } from '@nestjs/bullmq';
import { Inject } from '@nestjs/common';
import type { Job } from 'bullmq';
import { CATALOG_EVENTS, CatalogWarmer, type StockChangedEvent } from '@app/catalog';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { QUEUES, type EventJobData } from '@app/jobs';
import { ORDER_EVENTS, type OrderPlacedEvent } from '@app/orders';
import { WorkerMetrics } from '../metrics/worker-metrics.service.js';
import { EventProcessor, PROCESSOR_OPTIONS } from './event-processor.js';

/**
 * After stock changed (an order placed or cancelled, an inventory change), the products' cache
 * entries are dropped on every instance and loaded again, through the catalog service. The API
 * already invalidates after its commit; this repairs what an outage at that moment missed.
 * Repeating it changes nothing, so it needs no inbox.
 */
@Processor(QUEUES.catalogCache, PROCESSOR_OPTIONS)
export class CatalogCacheProcessor extends EventProcessor {
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    metrics: WorkerMetrics,
    private readonly warmer: CatalogWarmer,
  ) {
    super(QUEUES.catalogCache, config, metrics);
  }

  protected async handle(job: Job<EventJobData>): Promise<{ refreshed: number }> {
    const ids = productIdsOf(job.name, job.data.payload);
    await this.warmer.refresh(ids);
    return { refreshed: ids.length };
  }
}

function productIdsOf(type: string, payload: unknown): string[] {
  switch (type) {
    case ORDER_EVENTS.placed:
    case ORDER_EVENTS.cancelled:
      return (payload as OrderPlacedEvent).items.map((i) => i.productId);
    case CATALOG_EVENTS.stockChanged:
      return (payload as StockChangedEvent).productIds;
    default:
      throw new Error(`no catalog-cache handler for ${type}`);
  }
}
