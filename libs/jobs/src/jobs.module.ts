import { BullModule } from '@nestjs/bullmq';
import { Module, type DynamicModule } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { bullConnection, bullPrefix } from './bull-connection.js';
import { QueueAdmin } from './queue-admin.service.js';
import { defaultJobOptions, QUEUE_NAMES } from './queues.js';

/**
 * The BullMQ queues of the app (both the API, which shows and retries them, and the worker, which
 * fills and consumes them), configured from the validated config.
 */
@Module({})
export class JobsModule {
  static forRoot(connectionName: string): DynamicModule {
    const queues = BullModule.registerQueue(...QUEUE_NAMES.map((name) => ({ name })));
    return {
      module: JobsModule,
      imports: [
        BullModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => ({
            connection: bullConnection(config, connectionName),
            prefix: bullPrefix(config),
            defaultJobOptions: defaultJobOptions(config.worker.jobAttempts),
          }),
        }),
        queues,
      ],
      providers: [QueueAdmin],
      exports: [queues, QueueAdmin],
    };
  }
}
