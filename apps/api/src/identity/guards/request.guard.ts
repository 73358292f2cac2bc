import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { IS_PUBLIC_KEY } from '@app/common';
import type { AuthUser } from '../../common/auth/index.js';
import { RequestAuthenticator } from '../services/request-authenticator.js';
import { RateLimiter } from '../throttling/rate-limiter.js';

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
 * The rate-limit check and the session check both go to Redis, so they run concurrently: an
 * authenticated request costs one Redis round-trip time, like an anonymous one. A 429 wins over
 * a 401.
 */
@Injectable()
export class RequestGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly rateLimiter: RateLimiter,
    private readonly authenticator: RequestAuthenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()]) === true;
    const request = context.switchToHttp().getRequest<AuthRequest>();
    const header = request.headers.authorization;
    const [, user] = await Promise.all([this.rateLimiter.check(context), header === undefined ? null : this.authenticator.authenticate(header)]);
    if (user) request.user = user;
    else if (!isPublic) throw new UnauthorizedException(UNAUTHORIZED);
    return true;
  }
}
