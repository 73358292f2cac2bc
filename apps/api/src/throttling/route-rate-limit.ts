import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ThrottlerModuleOptions, ThrottlerStorage } from '@nestjs/throttler';
import { RedisThrottlerStorage, type ThrottlerStorageRecord } from './redis-throttler-storage.js';
import { generateKey, getTracker, routeThrottleKey } from './throttlers.js';

/** RouteRateLimit.forRoute() bound to one module's options and storage (see resolver()). */
export type RouteLimitOf = (
  controller: abstract new (...args: never[]) => unknown,
  handler: (...args: never[]) => unknown,
) => RouteRateLimit | null;

interface RouteThrottler {
  readonly name: string;
  readonly limit: number;
  readonly ttl: number;
  readonly blockDuration: number;
  readonly suffix: string;
}

/**
 * ThrottlerGuard's check of one route, for a request answered before Nest routes it (CachedReads):
 * the same throttlers, tracker, key (routeThrottleKey, as generateKey builds it), storage and
 * X-RateLimit-* headers, so such a request counts on the route's counter exactly as one the guard
 * let through. Built only for routes without per-route throttler metadata (@Throttle,
 * @SkipThrottle and the like: their values may be computed per request), see forRoute().
 */
export class RouteRateLimit {
  /** The storage again when it can count without a promise (RedisThrottlerStorage). */
  private readonly local: RedisThrottlerStorage | undefined;

  private constructor(
    private readonly storage: ThrottlerStorage,
    private readonly throttlers: readonly RouteThrottler[],
    private readonly route: string,
  ) {
    this.local = storage instanceof RedisThrottlerStorage ? storage : undefined;
  }

  /** forRoute() of these module options and storage, for each route asked. */
  static resolver(options: ThrottlerModuleOptions, storage: ThrottlerStorage): RouteLimitOf {
    return (controller, handler) => RouteRateLimit.forRoute(options, storage, controller, handler);
  }

  /**
   * The limit of `handler` of `controller`, or null when the route has throttler metadata of its own
   * (then only the guard applies it) or the module options are not plain throttlers with numbers.
   */
  static forRoute(
    options: ThrottlerModuleOptions,
    storage: ThrottlerStorage,
    controller: abstract new (...args: never[]) => unknown,
    handler: (...args: never[]) => unknown,
  ): RouteRateLimit | null {
    if (Array.isArray(options)) return null;
    const own: unknown[] = [...(Reflect.getMetadataKeys(handler) as unknown[]), ...(Reflect.getMetadataKeys(controller) as unknown[])];
    if (own.some((k) => typeof k === 'string' && k.startsWith('THROTTLER:'))) return null;
    const throttlers: RouteThrottler[] = [];
    for (const t of options.throttlers) {
      if (typeof t.limit !== 'number' || typeof t.ttl !== 'number') return null;
      if (t.blockDuration !== undefined && typeof t.blockDuration !== 'number') return null;
      if (t.skipIf || t.getTracker || t.generateKey || t.ignoreUserAgents || t.setHeaders === false) return null;
      const name = t.name ?? 'default';
      throttlers.push({
        name,
        limit: t.limit,
        ttl: t.ttl,
        blockDuration: t.blockDuration ?? t.ttl,
        suffix: name === 'default' ? '' : `-${name}`,
      });
    }
    // The module's own tracker and key are the ones reproduced here.
    if (options.getTracker !== getTracker || options.generateKey !== generateKey) return null;
    if (options.ignoreUserAgents || options.setHeaders === false) return null;
    return new RouteRateLimit(storage, throttlers, `${controller.name}.${handler.name}`);
  }

  /**
   * Counts the request on every throttler and sets X-RateLimit-Limit/Remaining/Reset: true. False
   * when a throttler refuses it: the caller hands the request to Nest, whose guard answers the 429
   * (a refused request is not counted again while its block lasts). Decided synchronously when the
   * storage can (RedisThrottlerStorage.incrementLocal: a reserved hit is left), else a promise.
   */
  admit(request: FastifyRequest, reply: FastifyReply): boolean | Promise<boolean> {
    const key = routeThrottleKey(this.route, getTracker(request as unknown as Record<string, unknown>));
    for (let i = 0; i < this.throttlers.length; i++) {
      const t = this.throttlers[i];
      const local = this.local?.incrementLocal(key, t.limit, t.name);
      if (local === undefined) return this.admitFrom(i, key, reply);
      if (!this.counted(t, local, reply)) return false;
    }
    return true;
  }

  /** admit() from throttler `from` on, through the storage's increment(). */
  private async admitFrom(from: number, key: string, reply: FastifyReply): Promise<boolean> {
    for (let i = from; i < this.throttlers.length; i++) {
      const t = this.throttlers[i];
      if (!this.counted(t, await this.storage.increment(key, t.ttl, t.limit, t.blockDuration, t.name), reply)) return false;
    }
    return true;
  }

  private counted(t: RouteThrottler, r: ThrottlerStorageRecord, reply: FastifyReply): boolean {
    if (r.isBlocked) return false;
    void reply
      .header(`X-RateLimit-Limit${t.suffix}`, t.limit)
      .header(`X-RateLimit-Remaining${t.suffix}`, Math.max(0, t.limit - r.totalHits))
      .header(`X-RateLimit-Reset${t.suffix}`, r.timeToExpire);
    return true;
  }
}
