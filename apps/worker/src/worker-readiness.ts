import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { REDIS_CLIENT, waitForReady, type RedisClient } from '@app/cache';
import { DatabaseProbeRepository } from '@app/database';

/** Proves both connections work before the worker reports ready. */
@Injectable()
export class WorkerReadiness implements OnApplicationBootstrap {
  private readonly logger = new Logger('Worker');

  constructor(
    private readonly database: DatabaseProbeRepository,
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await waitForReady(this.redis, 10_000);
    await this.redis.ping();
    await this.database.ping();
    this.logger.log('worker ready: Postgres and Redis connected');
  }
}
