import { Injectable, type ExecutionContext } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RouteRateLimit } from './route-rate-limit.js';
import { ThrottlerGuard } from './throttler-package.js';

/**
 * @nestjs/throttler's ThrottlerGuard, with its per-request lookups done once per route: for each
 * request the package reads five metadata keys per throttler through the Reflector and awaits
 * seven promises; a route without throttler metadata of its own (every route today) gets the same
 * check from RouteRateLimit, resolved once per handler (the module's throttlers, tracker, key,
 * storage and X-RateLimit-* headers; also what GETs answered before Nest count on, see
 * http/cached-reads.ts). Routes with @Throttle / @SkipThrottle, and every refusal, take the
 * package's own path: it sets Retry-After and throws its ThrottlerException.
 */
@Injectable()
export class ApiThrottlerGuard extends ThrottlerGuard {
  private readonly routes = new WeakMap<object, RouteRateLimit | null>();

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return super.canActivate(context);
    const handler = context.getHandler() as (...args: never[]) => unknown;
    let limit = this.routes.get(handler);
    if (limit === undefined) {
      limit = RouteRateLimit.forRoute(this.options, this.storageService, context.getClass(), handler);
      this.routes.set(handler, limit);
    }
    if (limit === null) return super.canActivate(context);
    const http = context.switchToHttp();
    if (await limit.admit(http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>())) return true;
    // Refused: the package answers (a refused request is not counted again while its block lasts).
    return super.canActivate(context);
  }
}
