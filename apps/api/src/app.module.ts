import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { CartModule } from '@app/cart';
import { CatalogModule } from '@app/catalog';
import { AppCacheModule, ConfigModule, DomainEventsModule, type AppConfig } from '@app/common';
import { DatabaseModule } from '@app/database';
import { IdentityModule } from '@app/identity';
import { OrdersModule } from '@app/orders';
import { AccessModule } from './auth/access.module.js';
import { CartHttpModule } from './cart/cart-http.module.js';
import { CatalogHttpModule } from './catalog/catalog-http.module.js';
import { HealthModule } from './health/health.module.js';
import { AllExceptionsFilter } from './http/all-exceptions.filter.js';
import { IdentityHttpModule } from './identity/identity-http.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { OperationsModule } from './operations/operations.module.js';
import { OrdersHttpModule } from './orders/orders-http.module.js';

@Module({})
export class AppModule {
  /** The whole API; `config` is passed in when the caller builds several instances in one process, otherwise validated from the environment. */
  static forRoot(config?: AppConfig, extraImports: DynamicModule['imports'] = []): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot({ applicationName: 'api' }),
        AppCacheModule.forRoot('api'),
        DomainEventsModule,
        // The domain, shared with the worker.
        IdentityModule,
        CatalogModule,
        CartModule,
        OrdersModule,
        // The HTTP edge.
        AccessModule,
        HealthModule,
        IdentityHttpModule,
        CatalogHttpModule,
        CartHttpModule,
        OrdersHttpModule,
        MetricsModule,
        OperationsModule,
        ...extraImports,
      ],
      providers: [{ provide: APP_FILTER, useClass: AllExceptionsFilter }],
    };
  }
}
