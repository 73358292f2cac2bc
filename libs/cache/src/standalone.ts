// Public API of libs/cache without the Nest glue: the "." entry of the published package
// (@nest-commerce/cache), which runs on ioredis, redlock, lru-cache, @msgpack/msgpack,
// cluster-key-slot and @opentelemetry/api (a no-op without an SDK) alone. The Nest module is
// "./nest", Prometheus metrics "./prometheus" and the cache-manager / Keyv store "./keyv". Inside the monorepo, index.ts (@app/cache) exports all of it.

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
export { JsonSerializer, MsgpackSerializer, defaultSerializer, jsonTextOf, type Serializer } from './serialization/serializer.js';

// cache-aside, write-through
export { CacheAside, type BatchLoader, type CacheAsideOptions, type Loader, type LoaderContext } from './core/cache-aside.js';
export type { CacheKey } from './core/cache-key.js';
export { CacheLoadTimeoutError } from './core/errors.js';
export type { GetOrLoadOptions, SetOptions as CacheSetOptions } from './core/options.js';
export { WriteThrough, type WriteOptions } from './core/write-through.js';

// invalidation, L1
export { Invalidator, type InvalidatorOptions } from './invalidation/invalidator.js';
export { L1Store, L1Namespace, DEFAULT_L1_MAX_BYTES, globToRegExp, type L1Options } from './l1/l1-cache.js';
export { InvalidationBus, applyInvalidation, type InvalidationBusOptions, type InvalidationMessage } from './l1/invalidation-bus.js';

// stats (Prometheus: "./prometheus")
export { CacheStats, NamespaceCounters, type NamespaceSnapshot, type StatsSnapshot } from './stats/cache-stats.js';

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

// factory
export { CacheService, createCache, type CreateCacheOptions, type NamespaceOptions } from './create-cache.js';

// method decorators: they need no Nest (register the cache with setCacheForDecorators)
export {
  CacheEvict,
  CachePut,
  Cacheable,
  type CacheEvictOptions,
  type CachePutOptions,
  type CacheableOptions,
} from './nest/method-decorators.js';
export { clearCacheForDecorators, getCacheForDecorators, setCacheForDecorators } from './nest/decorator-registry.js';

// primitives (locks, counters, batch, admin)
export * from './locks/index.js';
export type { LockStats } from './locks/lock.service.js';
export * from './counters/index.js';
export * from './batch/index.js';
export * from './admin/index.js';
export { RedisUnavailableError, isUnavailabilityError } from './redis-ops/unavailable-error.js';
export { LuaScript, type LuaArg } from './redis-ops/lua-script.js';
export { failFast } from './redis-ops/fail-fast.js';
export { corkForTurn } from './redis/turn-cork.js';
export { registerOpenTelemetryMetrics, traceLoad } from './telemetry/open-telemetry.js';
