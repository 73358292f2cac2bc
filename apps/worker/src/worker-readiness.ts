import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { REDIS_CLIENT, waitForReady, type RedisClient } from '@app/cache';
import { DatabaseProbeRepository } from '@app/database';

/**
 * Proves the primary answers before the worker reports ready. Redis may still be coming up: the
 * relay and the processors wait for it and catch up, so its absence is only logged.
 */
@Injectable()
export class WorkerReadiness implements OnApplicationBootstrap {
  private readonly logger = new Logger('Worker');

  constructor(
    private readonly database: DatabaseProbeRepository,
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.database.ping();
    const redis = await waitForReady(this.redis, 10_000).then(
      () => 'connected',
      () => 'not reachable yet (jobs wait for it)',
    );
    this.logger.log(`worker ready: Postgres connected, Redis ${redis}`);
  }
}
