import { SetMetadata } from '@nestjs/common';

export const HTTP_CACHE_PER_USER = 'cache:http:per-user';
export const HTTP_CACHE_PUBLIC = 'cache:http:public';
export const HTTP_CACHE_TTL = 'cache:http:ttl';
export const HTTP_NO_CACHE = 'cache:http:off';

/** The response depends on the caller: the caller id becomes part of the key (uncached without a caller). */
export const CachePerUser = (): MethodDecorator & ClassDecorator => SetMetadata(HTTP_CACHE_PER_USER, true);
/** The response is the same for every caller, so authenticated requests may share it. */
export const CachePublic = (): MethodDecorator & ClassDecorator => SetMetadata(HTTP_CACHE_PUBLIC, true);
/** Response cache ttl in ms for this route/controller. */
export const CacheTtl = (ms: number): MethodDecorator & ClassDecorator => SetMetadata(HTTP_CACHE_TTL, ms);
/** Never cache this route's response. */
export const NoHttpCache = (): MethodDecorator & ClassDecorator => SetMetadata(HTTP_NO_CACHE, true);
