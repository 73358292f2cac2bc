import { Module } from '@nestjs/common';
import { CacheService } from '@app/cache';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { buildThrottlers } from './login-throttle.js';
import { LoginThrottleReset } from './login-throttle-reset.listener.js';
import { RATE_LIMITS, RATE_LIMIT_STORAGE } from './rate-limit.tokens.js';
import { RateLimiter } from './rate-limiter.service.js';
import { RedisThrottlerStorage } from './redis-throttler-storage.js';

/** Rate limits of the HTTP edge, counted in Redis so every API instance shares them. */
@Module({
  providers: [
    { provide: RATE_LIMITS, inject: [APP_CONFIG], useFactory: (config: AppConfig) => buildThrottlers(config) },
    {
      provide: RATE_LIMIT_STORAGE,
      inject: [CacheService, APP_CONFIG],
      // reserveMax: hot keys take several hits from Redis at once (see RedisThrottlerStorage.take).
      useFactory: (cache: CacheService, config: AppConfig) => new RedisThrottlerStorage(cache.client, cache.keys, config.throttle.reserveMax ?? 1),
    },
    RateLimiter,
    LoginThrottleReset,
  ],
  exports: [RateLimiter],
})
export class ThrottlingModule {}
