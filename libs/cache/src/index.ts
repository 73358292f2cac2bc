// Public API of libs/cache: connection, keys, serialization, cache-aside, invalidation, L1, stats and
// resilience, the factory and the Nest glue, then the Redis primitives (locks, counters, batch, admin).

// connection
export {
  closeConnection,
  createRedisConnection,
  duplicateConnection,
  isCluster,
  reconnectDelay,
  waitForReady,
  type RedisClient,
  type RedisConnectionOptions,
} from './redis/connection.js';

// keys
export { KeyBuilder, assertNamespace, escapeKeyPart, hashTagged, type KeyBuilderOptions } from './keys/key-builder.js';

// serialization
export { JsonSerializer, MsgpackSerializer, defaultSerializer, type Serializer } from './serialization/serializer.js';

// cache-aside, write-through
export { CacheAside, type BatchLoader, type CacheAsideOptions, type Loader, type LoaderContext } from './core/cache-aside.js';
export type { CacheKey } from './core/cache-key.js';
export { CacheLoadTimeoutError } from './core/errors.js';
export type { GetOrLoadOptions, SetOptions as CacheSetOptions } from './core/options.js';
export { WriteThrough, type WriteOptions } from './core/write-through.js';

// invalidation, L1
export { Invalidator, type InvalidatorOptions } from './invalidation/invalidator.js';
export { L1Store, L1Namespace, globToRegExp, type L1Options } from './l1/l1-cache.js';
export { InvalidationBus, applyInvalidation, type InvalidationBusOptions, type InvalidationMessage } from './l1/invalidation-bus.js';

// stats
export { CacheStats, NamespaceCounters, type NamespaceSnapshot, type StatsSnapshot } from './stats/cache-stats.js';
export { registerCacheMetrics, type CacheMetricsOptions } from './stats/prometheus.js';

// resilience
export {
  CacheTimeoutError,
  CacheUnavailableError,
  CircuitBreaker,
  raceDeadline,
  withTimeout,
  type CircuitBreakerOptions,
  type CircuitState,
} from './resilience/circuit-breaker.js';
export { FAILED, GuardedRedis, type Failed, type GuardedRedisOptions } from './resilience/guarded-redis.js';

// factory (no Nest)
export { CacheService, createCache, type CreateCacheOptions, type NamespaceOptions } from './create-cache.js';

// Nest glue
export { CacheModule, InjectCache } from './nest/cache.module.js';
export type { CacheModuleAsyncOptions, CacheModuleOptions } from './nest/cache-module-options.js';
export { CACHE_MODULE_OPTIONS, CACHE_SERVICE, REDIS_CLIENT, cacheToken } from './nest/tokens.js';
export {
  CacheEvict,
  CachePut,
  Cacheable,
  type CacheEvictOptions,
  type CachePutOptions,
  type CacheableOptions,
} from './nest/method-decorators.js';
export { clearCacheForDecorators, getCacheForDecorators, setCacheForDecorators } from './nest/decorator-registry.js';
export { HttpCacheInterceptor, normalizeQuery } from './nest/http-cache.interceptor.js';
export { CachePerUser, CachePublic, CacheTtl, NoHttpCache } from './nest/http-cache.decorators.js';
export { CacheHealthIndicator } from './nest/cache-health.indicator.js';

// primitives (locks, counters, batch, admin; test harness: import '@app/cache/testing/redis-harness.js')
export * from './locks/index.js';
export type { LockStats } from './locks/lock.service.js';
export * from './counters/index.js';
export * from './batch/index.js';
export * from './admin/index.js';
export { RedisUnavailableError, isUnavailabilityError } from './redis-ops/unavailable-error.js';
export { LuaScript, type LuaArg } from './redis-ops/lua-script.js';
export { failFast } from './redis-ops/fail-fast.js';
export { registerOpenTelemetryMetrics, traceLoad } from './telemetry/open-telemetry.js';
