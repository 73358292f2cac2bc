import { Module, type DynamicModule } from '@nestjs/common';
import { CatalogModule } from '@app/catalog';
import { AppCacheModule, ConfigModule, DomainEventsModule, type AppConfig } from '@app/common';
import { DatabaseModule } from '@app/database';
import { IdentityModule } from '@app/identity';

/**
 * What the command-line tools need: config, the database (migrated), the cache (so their writes
 * invalidate every running instance's cache), and the domain modules they call.
 */
@Module({})
export class CliModule {
  static forRoot(config: AppConfig, applicationName: string): DynamicModule {
    return {
      module: CliModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot({ applicationName }),
        AppCacheModule.forRoot(applicationName),
        DomainEventsModule,
        IdentityModule,
        CatalogModule,
      ],
    };
  }
}
