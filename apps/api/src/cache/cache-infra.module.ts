import { Global, Logger, Module } from '@nestjs/common';
import { CacheModule, REDIS_CLIENT } from '@app/cache';
import { APP_CONFIG, redisConnectionSettings, type AppConfig } from '@app/common';

const logger = new Logger('Cache');
let lastErrorLog = 0;
// Redis errors are failed open by libs/cache; one log line per 10 s is enough to see an outage.
function logCacheError(error: unknown): void {
  if (Date.now() - lastErrorLog < 10_000) return;
  lastErrorLog = Date.now();
  logger.warn(`cache unavailable, serving from the database (${(error as { name?: string })?.name ?? 'error'})`);
}

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
        l1: config.cache.l1 ? { max: config.cache.l1.maxEntries, ttlMs: config.cache.l1.ttlMs, ackTimeoutMs: config.cache.l1.ackTimeoutMs } : false,
        onError: logCacheError,
      }),
    }),
  ],
})
export class CacheInfraModule {}
