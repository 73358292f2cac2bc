import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { IS_PUBLIC_KEY } from '@app/common';
import type { AuthUser } from '../../common/auth/index.js';
import { RequestAuthenticator } from '../services/request-authenticator.js';
import { RateLimiter } from '../throttling/rate-limiter.js';
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
 * a 401. An anonymous request whose rate limit is served from the local reservation is decided
 * synchronously (no promise at all), which is most public catalog reads.
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
    if (header !== undefined) return this.authenticate(request, header, isPublic, limited);
    if (limited === undefined) return anonymous(isPublic);
    return limited.then(() => anonymous(isPublic));
  }

  private async authenticate(request: AuthRequest, header: string | string[], isPublic: boolean, limited: Promise<void> | undefined): Promise<boolean> {
    const [, user] = await Promise.all([limited, this.authenticator.authenticate(header)]);
    if (user) request.user = user;
    else if (!isPublic) throw new UnauthorizedException(UNAUTHORIZED);
    return true;
  }
}

function anonymous(isPublic: boolean): boolean {
  if (!isPublic) throw new UnauthorizedException(UNAUTHORIZED);
  return true;
}
