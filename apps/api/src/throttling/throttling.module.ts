import { Module } from '@nestjs/common';
import { CacheService } from '@app/cache';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { FallbackAttemptCounters, MemoryAttemptCounters, RedisAttemptCounters } from './attempt-counters.js';
import { AttemptLimitInterceptor } from './attempt-limit.interceptor.js';
import { AttemptLimiter } from './attempt-limiter.service.js';
import { ATTEMPT_COUNTERS, RATE_LIMITS, RATE_LIMIT_STORAGE } from './rate-limit.tokens.js';
import { RateLimiter } from './rate-limiter.service.js';
import { RedisThrottlerStorage } from './redis-throttler-storage.js';
import { buildThrottlers } from './throttlers.js';

/**
 * Rate limits of the HTTP edge, counted in Redis so every API instance shares them: the default
 * limit on every request (fails open without Redis), and the sign-in limits of @LimitAttempts()
 * routes (counted in each process while Redis fails, never lifted).
 */
@Module({
  providers: [
    { provide: RATE_LIMITS, inject: [APP_CONFIG], useFactory: (config: AppConfig) => buildThrottlers(config) },
    {
      provide: RATE_LIMIT_STORAGE,
      inject: [CacheService, APP_CONFIG],
      // reserveMax: hot keys take several hits from Redis at once (see RedisThrottlerStorage.take).
      useFactory: (cache: CacheService, config: AppConfig) => new RedisThrottlerStorage(cache.client, cache.keys, config.throttle.reserveMax ?? 1),
    },
    {
      provide: ATTEMPT_COUNTERS,
      inject: [CacheService],
      useFactory: (cache: CacheService) => new FallbackAttemptCounters(new RedisAttemptCounters(cache.client, cache.keys), new MemoryAttemptCounters()),
    },
    RateLimiter,
    AttemptLimiter,
    AttemptLimitInterceptor,
  ],
  exports: [RateLimiter, AttemptLimiter, AttemptLimitInterceptor],
})
export class ThrottlingModule {}
