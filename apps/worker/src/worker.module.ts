import { Module, type DynamicModule } from '@nestjs/common';
import { CartModule } from '@app/cart';
import { CatalogModule } from '@app/catalog';
import { AppCacheModule, ConfigModule, DomainEventsModule, type AppConfig } from '@app/common';
import { DatabaseModule } from '@app/database';
import { IdentityModule } from '@app/identity';
import { JobsModule } from '@app/jobs';
import { OrdersModule } from '@app/orders';
import { WorkerHttpServer } from './http/worker-http.server.js';
import { Housekeeping } from './maintenance/housekeeping.service.js';
import { MaintenanceSchedules } from './maintenance/maintenance-schedules.service.js';
import { WorkerMetrics } from './metrics/worker-metrics.service.js';
import { OutboxRelay } from './outbox/outbox-relay.service.js';
import { BestsellersProcessor } from './processors/bestsellers.processor.js';
import { CatalogCacheProcessor } from './processors/catalog-cache.processor.js';
import { MaintenanceProcessor } from './processors/maintenance.processor.js';
import { WorkerReadiness } from './worker-readiness.js';

/**
 * The worker: the same domain modules and cache as the API (its L1 joins the same invalidation
 * bus), so a job calls the service a controller calls and its writes reach every API's cache.
 * It relays the outbox into the queues, runs their processors and the schedules.
 */
@Module({})
export class WorkerModule {
  static forRoot(config?: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot({ applicationName: 'worker', runMigrations: false }),
        AppCacheModule.forRoot('worker'),
        DomainEventsModule,
        JobsModule.forRoot('worker'),
        IdentityModule,
        CatalogModule,
        CartModule,
        OrdersModule,
      ],
      providers: [
        WorkerReadiness,
        WorkerMetrics,
        OutboxRelay,
        Housekeeping,
        MaintenanceSchedules,
        BestsellersProcessor,
        CatalogCacheProcessor,
        MaintenanceProcessor,
        WorkerHttpServer,
      ],
    };
  }
}
