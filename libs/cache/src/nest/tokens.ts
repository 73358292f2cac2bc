/** Injection tokens of the cache module (classes are also injectable by class). */
export const CACHE_MODULE_OPTIONS = Symbol('CACHE_MODULE_OPTIONS');
/** The raw ioredis client (Redis | Cluster) the cache uses. */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');
/** The CacheService (same object as injecting the CacheService class). */
export const CACHE_SERVICE = Symbol('CACHE_SERVICE');

/** Token of the CacheAside bound to a namespace (see CacheModule.forFeature / @InjectCache). */
export function cacheToken(namespace: string): string {
  return `CACHE_NAMESPACE:${namespace}`;
}
