import { SetMetadata, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ThrottlerOptions } from '@nestjs/throttler';
import { createHash } from 'node:crypto';
import type { AppConfig } from '@app/common';
import { normalizeEmail } from '@app/identity';
import { RouteMetadata } from '../auth/route-metadata.js';

export const LOGIN_THROTTLED = 'identity:loginThrottled';
export const LOGIN_IP_THROTTLER = 'login-ip';
export const LOGIN_EMAIL_THROTTLER = 'login-email';

/** Marks a route whose body carries `email`: it gets the per-IP and per-email login limits. */
export const LoginThrottle = (): MethodDecorator => SetMetadata(LOGIN_THROTTLED, true);

/** The per-email tracker: a digest, so no address is written into Redis keys. */
export function emailTrackerKey(email: string): string {
  return createHash('sha256').update(normalizeEmail(email)).digest('base64url');
}

// Read once per route: this runs for every request on every route.
const loginRoutes = new RouteMetadata<boolean>(new Reflector(), LOGIN_THROTTLED);

function isLoginRoute(context: ExecutionContext): boolean {
  return loginRoutes.get(context) === true;
}

function bodyEmail(context: ExecutionContext): string | undefined {
  const body = context.switchToHttp().getRequest<{ body?: { email?: unknown } }>().body;
  return typeof body?.email === 'string' && body.email.trim() ? body.email : undefined;
}

/**
 * The throttlers of the API: the global default per client IP and route, and the two login limits
 * (per client IP, per email) that only apply to routes marked @LoginThrottle().
 */
export function buildThrottlers(config: AppConfig): ThrottlerOptions[] {
  const login = config.loginThrottle;
  const loginTtl = login.ttlSeconds * 1000;
  return [
    { name: 'default', ttl: config.throttle.ttlSeconds * 1000, limit: config.throttle.limit },
    {
      name: LOGIN_IP_THROTTLER,
      ttl: loginTtl,
      limit: login.ipLimit,
      blockDuration: loginTtl,
      skipIf: (context) => !isLoginRoute(context),
      generateKey: (_context, tracker) => tracker,
    },
    {
      name: LOGIN_EMAIL_THROTTLER,
      ttl: loginTtl,
      limit: login.emailLimit,
      blockDuration: loginTtl,
      skipIf: (context) => !isLoginRoute(context) || bodyEmail(context) === undefined,
      getTracker: (_req, context) => emailTrackerKey(bodyEmail(context) ?? ''),
      generateKey: (_context, tracker) => tracker,
    },
  ];
}
