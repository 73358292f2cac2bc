// The Nest glue of libs/cache: the "./nest" entry of the published package. Needs @nestjs/common,
// @nestjs/core, @nestjs/terminus (health indicator) and rxjs (HTTP interceptor) next to it.

export { CacheModule, InjectCache } from './cache.module.js';
export type { CacheModuleAsyncOptions, CacheModuleOptions } from './cache-module-options.js';
export { CACHE_MODULE_OPTIONS, CACHE_SERVICE, REDIS_CLIENT, cacheToken } from './tokens.js';
export {
  CacheEvict,
  CachePut,
  Cacheable,
  type CacheEvictOptions,
  type CachePutOptions,
  type CacheableOptions,
} from './method-decorators.js';
export { clearCacheForDecorators, getCacheForDecorators, setCacheForDecorators } from './decorator-registry.js';
export { HttpCacheInterceptor, normalizeQuery } from './http-cache.interceptor.js';
export { CachePerUser, CachePublic, CacheTtl, NoHttpCache } from './http-cache.decorators.js';
export { CacheHealthIndicator } from './cache-health.indicator.js';
