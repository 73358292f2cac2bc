import { Global, Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { buildDataSourceOptions } from './data-source-options.js';
import { initializeDataSource } from './initialize-data-source.js';
import { MigrateOnStart } from './migrate-on-start.service.js';
import { PrimaryStatus } from './primary-status.js';
import { ReplicaReader } from './replica-reader.service.js';
import { DatabaseProbeRepository } from './repositories/database-probe.repository.js';
import { OutboxListenerRepository } from './repositories/outbox-listener.repository.js';
import { OutboxRepository } from './repositories/outbox.repository.js';
import { WalPositionRepository } from './repositories/wal-position.repository.js';
import { Transactions } from './transactions.service.js';

const SHARED = [
  PrimaryStatus,
  ReplicaReader,
  Transactions,
  DatabaseProbeRepository,
  WalPositionRepository,
  OutboxRepository,
  OutboxListenerRepository,
];

@Global()
@Module({})
export class DatabaseModule {
  /** TypeORM on the primary/replica pair; entities come from the modules (autoLoadEntities). */
  static forRoot(opts: { applicationName: string; runMigrations?: boolean }): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => ({
            ...buildDataSourceOptions(config.database, { applicationName: opts.applicationName }),
            autoLoadEntities: true,
            // Fail fast at boot instead of retrying for a minute: the orchestrator restarts us.
            retryAttempts: 2,
            retryDelay: 1000,
          }),
          dataSourceFactory: async (options) => initializeDataSource(options!),
        }),
      ],
      // Only the API migrates (DB_MIGRATE_ON_START); the worker waits for a migrated schema.
      providers: opts.runMigrations === false ? SHARED : [...SHARED, MigrateOnStart],
      exports: SHARED,
    };
  }
}
