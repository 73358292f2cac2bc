import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { IS_PUBLIC_KEY } from '@app/common';
import type { AuthUser } from './auth-user.js';
import { RequestAuthenticator } from './request-authenticator.service.js';
import { RouteMetadata } from './route-metadata.js';

export const UNAUTHORIZED = 'Missing, invalid, expired or revoked access token';

interface AuthRequest {
  headers: Record<string, string | string[] | undefined>;
  user?: AuthUser;
}

/**
 * The global authentication guard (after ApiThrottlerGuard, before RolesGuard). Every route needs a
 * valid access token of a live session unless it is @Public(); on public routes a valid token
 * still identifies the caller (e.g. the cart) and an invalid one is ignored. When the session
 * state is in L1 (most requests), the guard decides synchronously, without a promise.
 */
@Injectable()
export class RequestGuard implements CanActivate {
  private readonly publicRoutes: RouteMetadata<boolean>;

  constructor(
    reflector: Reflector,
    private readonly authenticator: RequestAuthenticator,
  ) {
    this.publicRoutes = new RouteMetadata(reflector, IS_PUBLIC_KEY);
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const isPublic = this.publicRoutes.get(context) === true;
    const request = context.switchToHttp().getRequest<AuthRequest>();
    const header = request.headers.authorization;
    const user = header === undefined ? null : this.authenticator.authenticate(header);
    if (!(user instanceof Promise)) return admit(request, user, isPublic);
    return user.then((u) => admit(request, u, isPublic));
  }
}

function admit(request: AuthRequest, user: AuthUser | null, isPublic: boolean): boolean {
  if (user) request.user = user;
  else if (!isPublic) throw new UnauthorizedException(UNAUTHORIZED);
  return true;
}
