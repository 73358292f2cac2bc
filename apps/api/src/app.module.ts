import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ConfigModule, type AppConfig } from '@app/common';
import { DatabaseModule } from '@app/database';
import { CacheInfraModule } from './cache/cache-infra.module.js';
import { CartModule } from './cart/cart.module.js';
import { CatalogModule } from './catalog/catalog.module.js';
import { HealthModule } from './health/health.module.js';
import { IdentityModule } from './identity/identity.module.js';
import { AllExceptionsFilter } from './http/all-exceptions.filter.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { OperationsModule } from './operations/operations.module.js';

@Module({})
export class AppModule {
  /** The whole API; `config` is injected by tests, otherwise validated from the environment. */
  static forRoot(config?: AppConfig, extraImports: DynamicModule['imports'] = []): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot({ applicationName: 'api' }),
        CacheInfraModule,
        HealthModule,
        IdentityModule,
        CatalogModule,
        CartModule,
        MetricsModule,
        OperationsModule,
        ...extraImports,
      ],
      providers: [{ provide: APP_FILTER, useClass: AllExceptionsFilter }],
    };
  }
}
