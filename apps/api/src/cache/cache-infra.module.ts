import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { closeConnection, createRedisConnection, type RedisClient } from '@app/cache/redis/connection.js';
import { APP_CONFIG, redisConnectionSettings, type AppConfig } from '@app/common';

export const REDIS = Symbol('REDIS');

@Global()
@Module({
  providers: [{ provide: REDIS, inject: [APP_CONFIG], useFactory: (config: AppConfig) => createRedisConnection(redisConnectionSettings(config, 'api')) }],
  exports: [REDIS],
})
export class CacheInfraModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  async onApplicationShutdown(): Promise<void> {
    await closeConnection(this.redis);
  }
}
