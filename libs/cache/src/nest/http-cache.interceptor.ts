import { Inject, Injectable, Optional, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { CacheService } from '../create-cache.js';
import { HTTP_CACHE_PER_USER, HTTP_CACHE_PUBLIC, HTTP_CACHE_TTL, HTTP_NO_CACHE } from './http-cache.decorators.js';
import { CACHE_MODULE_OPTIONS } from './tokens.js';
import type { CacheModuleOptions } from './cache-module-options.js';

interface HttpRequestLike {
  method?: string;
  url?: string;
  originalUrl?: string;
  headers?: Record<string, string | string[] | undefined>;
  /** What the authentication put on the request: the caller's id under one of these names. */
  user?: { id?: string | number; sub?: string | number; userId?: string | number } | null;
}

interface HttpResponseLike {
  header?: (name: string, value: string) => unknown;
  setHeader?: (name: string, value: string) => unknown;
}

/** `b=2&a=1&a=0` → `a=0&a=1&b=2`: the same query in any order hits the same entry. */
export function normalizeQuery(search: string): string {
  const params = [...new URLSearchParams(search)];
  params.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0));
  return new URLSearchParams(params).toString();
}

function callerId(req: HttpRequestLike): string | undefined {
  const u = req.user;
  const id = u?.id ?? u?.sub ?? u?.userId;
  return id === undefined || id === null ? undefined : String(id);
}

function setHeader(res: HttpResponseLike, name: string, value: string): void {
  if (typeof res.header === 'function')
    res.header(name, value); // Fastify reply (and Express)
  else res.setHeader?.(name, value);
}

/**
 * Response cache for GET routes (Fastify or Express). Key: path + normalized sorted query, plus the
 * caller id on routes marked @CachePerUser(). A request that carries credentials on a route that is
 * neither @CachePerUser() nor @CachePublic() is not cached: its response might be personal.
 * Sets `X-Cache: HIT|MISS`. Handler errors are not cached; concurrent misses share one handler run.
 */
@Injectable()
export class HttpCacheInterceptor implements NestInterceptor {
  private readonly ttl: number;
  private readonly namespace: string;

  constructor(
    private readonly cache: CacheService,
    private readonly reflector: Reflector,
    @Optional() @Inject(CACHE_MODULE_OPTIONS) options?: CacheModuleOptions,
  ) {
    this.ttl = options?.http?.ttl ?? 30_000;
    this.namespace = options?.http?.namespace ?? 'http';
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const req = http.getRequest<HttpRequestLike>();
    if (req.method !== 'GET') return next.handle();
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(HTTP_NO_CACHE, targets)) return next.handle();
    const perUser = this.reflector.getAllAndOverride<boolean>(HTTP_CACHE_PER_USER, targets) ?? false;
    const isPublic = this.reflector.getAllAndOverride<boolean>(HTTP_CACHE_PUBLIC, targets) ?? false;
    const caller = callerId(req);
    if (perUser && caller === undefined) return next.handle();
    if (!perUser && !isPublic && (caller !== undefined || req.headers?.authorization || req.headers?.cookie)) {
      return next.handle();
    }
    const ttl = this.reflector.getAllAndOverride<number>(HTTP_CACHE_TTL, targets) ?? this.ttl;
    const url = req.originalUrl ?? req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const query = q === -1 ? '' : normalizeQuery(url.slice(q + 1));
    const key = [path, query, perUser ? `u:${caller}` : '*'];
    const res = http.getResponse<HttpResponseLike>();
    let ran = false;
    return from(
      this.cache
        .namespace(this.namespace)
        .getOrLoad(
          key,
          () => {
            ran = true;
            return lastValueFrom(next.handle(), { defaultValue: undefined });
          },
          { ttl },
        )
        .then((body: unknown) => {
          setHeader(res, 'X-Cache', ran ? 'MISS' : 'HIT');
          return body;
        }),
    );
  }
}
