import { Module } from '@nestjs/common';
import { ThrottlerModule } from './throttler-package.js';
import { CacheService } from '@app/cache';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { FallbackAttemptCounters, MemoryAttemptCounters, RedisAttemptCounters } from './attempt-counters.js';
import { ReservedAttemptCounters } from './attempt-reservations.js';
import { AttemptLimitInterceptor } from './attempt-limit.interceptor.js';
import { AttemptLimiter } from './attempt-limiter.service.js';
import { ATTEMPT_COUNTERS } from './rate-limit.tokens.js';
import { RedisThrottlerStorage } from './redis-throttler-storage.js';
import { buildThrottlerOptions } from './throttlers.js';

/**
 * Rate limits of the HTTP edge, counted in Redis so every API instance shares them: the default
 * limit on every request (@nestjs/throttler: ThrottlerModule here, its ThrottlerGuard the first
 * APP_GUARD in AccessModule; fails open without Redis), and the sign-in limits of
 * @LimitAttempts() routes (counted in each process while Redis fails, never lifted).
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [CacheService, APP_CONFIG],
      // reserveMax: hot keys take several hits from Redis at once (see RedisThrottlerStorage.increment).
      useFactory: (cache: CacheService, config: AppConfig) =>
        buildThrottlerOptions(config, new RedisThrottlerStorage(cache.client, cache.keys, config.throttle.reserveMax ?? 1)),
    }),
  ],
  providers: [
    {
      provide: ATTEMPT_COUNTERS,
      inject: [CacheService, APP_CONFIG],
      // Busy keys under high limits take several places at once (see ReservedAttemptCounters).
      useFactory: (cache: CacheService, config: AppConfig) =>
        new FallbackAttemptCounters(
          new ReservedAttemptCounters(new RedisAttemptCounters(cache.client, cache.keys), config.throttle.reserveMax ?? 1),
          new MemoryAttemptCounters(),
        ),
    },
    AttemptLimiter,
    AttemptLimitInterceptor,
  ],
  exports: [AttemptLimiter, AttemptLimitInterceptor],
})
export class ThrottlingModule {}
