import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, type AppConfig } from '@app/common';
import { DatabaseModule } from '@app/database';
import { WorkerRedisModule } from './redis/worker-redis.module.js';
import { WorkerReadiness } from './worker-readiness.js';

@Module({})
export class WorkerModule {
  static forRoot(config?: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot({ applicationName: 'worker', runMigrations: false }),
        WorkerRedisModule,
      ],
      providers: [WorkerReadiness],
    };
  }
}
