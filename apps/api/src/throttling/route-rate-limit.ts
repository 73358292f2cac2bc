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
  /** The X-RateLimit-* header names of this throttler, lower case (as Fastify sends them). */
  readonly headers: readonly [limit: string, remaining: string, reset: string];
  /** The limit as a header value. */
  readonly limitValue: string;
}

/** Sets one response header: a Fastify reply's, or a pair appended to a raw header list. */
type HeaderSink = (name: string, value: string) => void;

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
      const suffix = name === 'default' ? '' : `-${name}`;
      throttlers.push({
        name,
        limit: t.limit,
        ttl: t.ttl,
        blockDuration: t.blockDuration ?? t.ttl,
        headers: [`x-ratelimit-limit${suffix}`, `x-ratelimit-remaining${suffix}`, `x-ratelimit-reset${suffix}`],
        limitValue: String(t.limit),
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
    return this.admitTracker(getTracker(request as unknown as Record<string, unknown>), (name, value) => void reply.header(name, value));
  }

  /**
   * admit() for a client already identified (`tracker`: its address, as getTracker resolves it), the
   * headers appended to `headers` as name, value pairs (a raw header list for Node's writeHead).
   */
  admitRaw(tracker: string, headers: string[]): boolean | Promise<boolean> {
    return this.admitTracker(tracker, (name, value) => headers.push(name, value));
  }

  private admitTracker(tracker: string, sink: HeaderSink): boolean | Promise<boolean> {
    const key = routeThrottleKey(this.route, tracker);
    for (let i = 0; i < this.throttlers.length; i++) {
      const t = this.throttlers[i];
      const local = this.local?.incrementLocal(key, t.limit, t.name);
      if (local === undefined) return this.admitFrom(i, key, sink);
      if (!counted(t, local, sink)) return false;
    }
    return true;
  }

  /** admit() from throttler `from` on, through the storage's increment(). */
  private async admitFrom(from: number, key: string, sink: HeaderSink): Promise<boolean> {
    for (let i = from; i < this.throttlers.length; i++) {
      const t = this.throttlers[i];
      if (!counted(t, await this.storage.increment(key, t.ttl, t.limit, t.blockDuration, t.name), sink)) return false;
    }
    return true;
  }
}

function counted(t: RouteThrottler, r: ThrottlerStorageRecord, sink: HeaderSink): boolean {
  if (r.isBlocked) return false;
  sink(t.headers[0], t.limitValue);
  sink(t.headers[1], String(Math.max(0, t.limit - r.totalHits)));
  sink(t.headers[2], String(r.timeToExpire));
  return true;
}
