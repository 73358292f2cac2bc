import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { runMigrations } from './migration-runner.js';

/** Applies pending migrations on the primary before the app starts serving (DB_MIGRATE_ON_START). */
@Injectable()
export class MigrateOnStart implements OnApplicationBootstrap {
  private readonly logger = new Logger('Migrations');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.database.migrateOnStart) return;
    const applied = await runMigrations(this.dataSource);
    this.logger.log(applied.length ? `applied ${applied.join(', ')}` : 'schema up to date');
  }
}
