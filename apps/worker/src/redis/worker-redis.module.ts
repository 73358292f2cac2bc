import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { closeConnection, createRedisConnection, type RedisClient } from '@app/cache';
import { APP_CONFIG, redisConnectionSettings, type AppConfig } from '@app/common';

export const WORKER_REDIS = Symbol('WORKER_REDIS');

@Global()
@Module({
  providers: [
    {
      provide: WORKER_REDIS,
      inject: [APP_CONFIG],
      useFactory: (c: AppConfig) => createRedisConnection(redisConnectionSettings(c, 'worker')),
    },
  ],
  exports: [WORKER_REDIS],
})
export class WorkerRedisModule implements OnApplicationShutdown {
  constructor(@Inject(WORKER_REDIS) private readonly redis: RedisClient) {}

  async onApplicationShutdown(): Promise<void> {
    await closeConnection(this.redis);
  }
}
