import type { ThrottlerOptions } from '@nestjs/throttler';
import type { AppConfig } from '@app/common';

/**
 * The throttlers of the API evaluated by RateLimiter on every request: the global default per
 * client IP and route. Sign-in, registration and password changes have limits that depend on the
 * outcome of each attempt, so they are not throttlers: see LimitAttempts (attempt-limit.interceptor.ts).
 */
export function buildThrottlers(config: AppConfig): ThrottlerOptions[] {
  return [{ name: 'default', ttl: config.throttle.ttlSeconds * 1000, limit: config.throttle.limit }];
}
