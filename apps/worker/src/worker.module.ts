import { Module, type DynamicModule } from '@nestjs/common';
import { CartModule } from '@app/cart';
import { CatalogModule } from '@app/catalog';
import { AppCacheModule, ConfigModule, DomainEventsModule, type AppConfig } from '@app/common';
import { DatabaseModule } from '@app/database';
import { IdentityModule } from '@app/identity';
import { OrdersModule } from '@app/orders';
import { WorkerReadiness } from './worker-readiness.js';

/**
 * The worker: the same domain modules and cache as the API (its L1 joins the same invalidation
 * bus), so a job calls the service a controller calls and its writes reach every API's cache.
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
        IdentityModule,
        CatalogModule,
        CartModule,
        OrdersModule,
      ],
      providers: [WorkerReadiness],
    };
  }
}
