import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { IS_PUBLIC_KEY } from '@app/common';
import type { AuthUser } from './auth-user.js';
import { RequestAuthenticator } from './request-authenticator.service.js';
import { RateLimiter } from '../throttling/rate-limiter.service.js';
import { RouteMetadata } from './route-metadata.js';

export const UNAUTHORIZED = 'Missing, invalid, expired or revoked access token';

interface AuthRequest {
  headers: Record<string, string | string[] | undefined>;
  user?: AuthUser;
}

/**
 * The global guard (before RolesGuard): rate limits, then authentication. Every route needs a
 * valid access token of a live session unless it is @Public(); on public routes a valid token
 * still identifies the caller (e.g. the cart) and an invalid one is ignored.
 *
 * The rate-limit check and the session check both may go to Redis, so they run concurrently: an
 * authenticated request costs one Redis round-trip time, like an anonymous one. A 429 wins over
 * a 401. When the rate limit is served from the local reservation and the session state from L1
 * (most requests), the guard decides synchronously, without a promise.
 */
@Injectable()
export class RequestGuard implements CanActivate {
  private readonly publicRoutes: RouteMetadata<boolean>;

  constructor(
    reflector: Reflector,
    private readonly rateLimiter: RateLimiter,
    private readonly authenticator: RequestAuthenticator,
  ) {
    this.publicRoutes = new RouteMetadata(reflector, IS_PUBLIC_KEY);
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const isPublic = this.publicRoutes.get(context) === true;
    const request = context.switchToHttp().getRequest<AuthRequest>();
    const header = request.headers.authorization;
    const limited = this.rateLimiter.check(context);
    let user: AuthUser | null | Promise<AuthUser | null>;
    try {
      user = header === undefined ? null : this.authenticator.authenticate(header);
    } catch (error) {
      void limited?.catch(() => undefined); // the thrown error answers; a later 429 must not go unhandled
      throw error;
    }
    if (limited === undefined && !(user instanceof Promise)) return admit(request, user, isPublic);
    return Promise.all([limited, user]).then(([, u]) => admit(request, u, isPublic));
  }
}

function admit(request: AuthRequest, user: AuthUser | null, isPublic: boolean): boolean {
  if (user) request.user = user;
  else if (!isPublic) throw new UnauthorizedException(UNAUTHORIZED);
  return true;
}
