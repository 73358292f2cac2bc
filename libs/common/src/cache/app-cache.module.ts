import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { CacheModule } from '@app/cache';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { cacheRedisConnectionSettings, redisConnectionSettings } from '../config/redis-options.js';

/**
 * libs/cache for a whole app (API, worker, CLI) from the validated config: one Redis connection
 * named after the app (two with REDIS_CACHE_URL: cached values on their own server), the L1 (which joins the cross-instance invalidation bus), closed on shutdown.
 * CacheModule is global, so every domain module gets CacheService injected.
 */
@Module({})
export class AppCacheModule {
  static forRoot(connectionName: string): DynamicModule {
    const logger = new Logger('Cache');
    let lastErrorLog = 0;
    // Redis errors are failed open by libs/cache; one log line per 10 s is enough to see an outage.
    const logCacheError = (error: unknown): void => {
      if (Date.now() - lastErrorLog < 10_000) return;
      lastErrorLog = Date.now();
      logger.warn(`cache unavailable, serving from the database (${(error as { name?: string })?.name ?? 'error'})`);
    };
    return {
      module: AppCacheModule,
      imports: [
        CacheModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => ({
            redis: redisConnectionSettings(config, connectionName),
            // Cached values on a server of their own when configured: it may evict, the main one must not.
            cacheRedis: cacheRedisConnectionSettings(config, connectionName),
            prefix: config.redis.keyPrefix,
            defaultTtl: config.cache.defaultTtlMs,
            l1: config.cache.l1
              ? {
                  max: config.cache.l1.maxEntries,
                  maxBytes: config.cache.l1.maxBytes,
                  ttlMs: config.cache.l1.ttlMs,
                  ackTimeoutMs: config.cache.l1.ackTimeoutMs,
                }
              : false,
            onError: logCacheError,
          }),
        }),
      ],
    };
  }
}
