import type { ExecutionContext } from '@nestjs/common';
import type { ThrottlerModuleOptions, ThrottlerOptions, ThrottlerStorage } from '@nestjs/throttler';
import type { AppConfig } from '@app/common';

/**
 * The throttlers of the API, evaluated by @nestjs/throttler's ThrottlerGuard on every request: the global default per client IP and route. Sign-in, registration and password
 * changes have limits that depend on the outcome of each attempt (a success does not count and
 * clears a count, failures of an email from other IPs only delay it), which a request-count
 * throttler cannot express, so they are not named throttlers: see LimitAttempts
 * (attempt-limit.interceptor.ts).
 */
export function buildThrottlers(config: AppConfig): ThrottlerOptions[] {
  return [{ name: 'default', ttl: config.throttle.ttlSeconds * 1000, limit: config.throttle.limit }];
}

/**
 * ThrottlerModule options: the throttlers over `storage`, with the API's tracker, keys and message.
 * They keep the contract of ThrottlerGuard (ApiThrottlerGuard only resolves them once per route): over a limit it sets a plain
 * `Retry-After` (the default throttler has no header suffix; the storage reports at least 1 s) and
 * throws ThrottlerException, an HttpException that AllExceptionsFilter answers with
 * `{ statusCode, error, message, requestId }`; otherwise it sets `X-RateLimit-Limit/Remaining/Reset`.
 */
export function buildThrottlerOptions(config: AppConfig, storage: ThrottlerStorage): ThrottlerModuleOptions {
  return {
    throttlers: buildThrottlers(config),
    storage,
    // Only HTTP requests are limited (the guard is global; other contexts pass).
    skipIf: (context: ExecutionContext) => context.getType() !== 'http',
    getTracker,
    generateKey,
    errorMessage: (_context, detail) => `Too many requests; retry in ${Math.max(1, Math.ceil(detail.timeToBlockExpire))} s`,
  };
}

/**
 * The client IP as Fastify resolved it under TRUST_PROXY (X-Forwarded-For from trusted peers only),
 * unchanged (ThrottlerGuard's default would group IPv6 clients by /56). request.ip is undefined
 * once the socket is gone; such a request still counts (as 'unknown').
 */
export function getTracker(request: Record<string, unknown>): string {
  return (request.ip as string | undefined) ?? 'unknown';
}

/**
 * Per controller, handler and tracker, like ThrottlerGuard's key but not hashed: the storage's
 * KeyBuilder escapes it, and a readable key names its route and client in Redis.
 */
export function generateKey(context: ExecutionContext, tracker: string): string {
  return routeThrottleKey(`${context.getClass().name}.${context.getHandler().name}`, tracker);
}

/** The counter key of a route (`Controller.handler`) and tracker: generateKey's, also for RouteRateLimit. */
export function routeThrottleKey(route: string, tracker: string): string {
  return `${route}:${tracker}`;
}
