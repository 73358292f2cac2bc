import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { waitForReady, type RedisClient } from '@app/cache';
import { WORKER_REDIS } from './redis/worker-redis.module.js';

/** Proves both connections work before the worker reports ready. */
@Injectable()
export class WorkerReadiness implements OnApplicationBootstrap {
  private readonly logger = new Logger('Worker');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(WORKER_REDIS) private readonly redis: RedisClient,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await waitForReady(this.redis, 10_000);
    await this.redis.ping();
    await this.dataSource.query('SELECT 1');
    this.logger.log('worker ready: Postgres and Redis connected');
  }
}
