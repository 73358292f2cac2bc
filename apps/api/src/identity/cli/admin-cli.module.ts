import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, type AppConfig } from '@app/common';
import { DatabaseModule } from '@app/database';
import { CacheInfraModule } from '../../cache/cache-infra.module.js';
import { IdentityModule } from '../identity.module.js';

/** Just what the admin CLI needs: config, the database (migrated), Redis (cache invalidation), identity. */
@Module({})
export class AdminCliModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AdminCliModule,
      imports: [ConfigModule.forRoot(config), DatabaseModule.forRoot({ applicationName: 'admin-cli' }), CacheInfraModule, IdentityModule],
    };
  }
}
