import { Global, Module } from '@nestjs/common';
import { CacheModule, REDIS_CLIENT } from '@app/cache';
import { APP_CONFIG, redisConnectionSettings, type AppConfig } from '@app/common';

/** The raw Redis client (alias of the cache library's REDIS_CLIENT) for modules that need commands. */
export const REDIS = REDIS_CLIENT;

/** libs/cache for the whole API: one Redis connection, L1 per config, closed on shutdown. */
@Global()
@Module({
  imports: [
    CacheModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        redis: redisConnectionSettings(config, 'api'),
        prefix: config.redis.keyPrefix,
        defaultTtl: config.cache.defaultTtlMs,
        l1: config.cache.l1 ? { max: config.cache.l1.maxEntries, ttlMs: config.cache.l1.ttlMs } : false,
      }),
    }),
  ],
})
export class CacheInfraModule {}
