import {
  Global,
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
  type OnModuleInit,
  type Provider,
} from '@nestjs/common';
import { RedisAdmin } from '../admin/redis-admin.js';
import { RedisBatch } from '../batch/redis-batch.js';
import { CacheAside } from '../core/cache-aside.js';
import { WriteThrough } from '../core/write-through.js';
import { CounterService } from '../counters/counter.service.js';
import { CacheService, createCache } from '../create-cache.js';
import { Invalidator } from '../invalidation/invalidator.js';
import { KeyBuilder } from '../keys/key-builder.js';
import { LockService } from '../locks/lock.service.js';
import { setLockServiceForDecorators } from '../locks/with-lock.decorator.js';
import { CircuitBreaker } from '../resilience/circuit-breaker.js';
import { CacheStats } from '../stats/cache-stats.js';
import { CacheHealthIndicator } from './cache-health.indicator.js';
import type { CacheModuleAsyncOptions, CacheModuleOptions } from './cache-module-options.js';
import { clearCacheForDecorators, getCacheForDecorators, setCacheForDecorators } from './decorator-registry.js';
import { HttpCacheInterceptor } from './http-cache.interceptor.js';
import { CACHE_MODULE_OPTIONS, CACHE_SERVICE, REDIS_CLIENT, cacheToken } from './tokens.js';

/** Registers the cache for the method decorators and closes connections on shutdown. */
@Injectable()
class CacheLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(@Inject(CacheService) private readonly cache: CacheService) {}

  onModuleInit(): void {
    setCacheForDecorators(this.cache);
    setLockServiceForDecorators(this.cache.locks);
  }

  async onApplicationShutdown(): Promise<void> {
    if (getCacheForDecorators() === this.cache) {
      clearCacheForDecorators(this.cache);
      setLockServiceForDecorators(undefined);
    }
    await this.cache.close();
  }
}

const fromService = <T>(token: unknown, pick: (c: CacheService) => T): Provider => ({
  provide: token as never,
  useFactory: pick,
  inject: [CacheService],
});

const derivedProviders: Provider[] = [
  { provide: CACHE_SERVICE, useExisting: CacheService },
  fromService(REDIS_CLIENT, (c) => c.client),
  fromService(CacheAside, (c) => c.cache),
  fromService(KeyBuilder, (c) => c.keys),
  fromService(Invalidator, (c) => c.invalidator),
  fromService(WriteThrough, (c) => c.writeThrough),
  fromService(CacheStats, (c) => c.stats),
  fromService(CircuitBreaker, (c) => c.breaker),
  fromService(LockService, (c) => c.locks),
  fromService(CounterService, (c) => c.counters),
  fromService(RedisBatch, (c) => c.batch),
  fromService(RedisAdmin, (c) => c.admin),
  CacheLifecycle,
  HttpCacheInterceptor,
  CacheHealthIndicator,
];

const exported = [
  CACHE_MODULE_OPTIONS,
  CacheService,
  CACHE_SERVICE,
  REDIS_CLIENT,
  CacheAside,
  KeyBuilder,
  Invalidator,
  WriteThrough,
  CacheStats,
  CircuitBreaker,
  LockService,
  CounterService,
  RedisBatch,
  RedisAdmin,
  HttpCacheInterceptor,
  CacheHealthIndicator,
];

/**
 * Global module providing the cache objects (by class and by token). One Redis connection per app;
 * it is closed on application shutdown (call app.enableShutdownHooks() for signals).
 */
@Global()
@Module({})
export class CacheModule {
  static forRoot(options: CacheModuleOptions): DynamicModule {
    return {
      module: CacheModule,
      providers: [
        { provide: CACHE_MODULE_OPTIONS, useValue: options },
        { provide: CacheService, useFactory: (o: CacheModuleOptions) => createCache(o), inject: [CACHE_MODULE_OPTIONS] },
        ...derivedProviders,
      ],
      exports: exported,
    };
  }

  static forRootAsync(options: CacheModuleAsyncOptions): DynamicModule {
    return {
      module: CacheModule,
      imports: options.imports ?? [],
      providers: [
        { provide: CACHE_MODULE_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] },
        { provide: CacheService, useFactory: (o: CacheModuleOptions) => createCache(o), inject: [CACHE_MODULE_OPTIONS] },
        ...derivedProviders,
      ],
      exports: exported,
    };
  }

  /** Providers for namespace-bound CacheAside instances, injected with @InjectCache('ns'). */
  static forFeature(namespaces: string[]): DynamicModule {
    const providers = namespaces.map((ns) => fromService(cacheToken(ns), (c) => c.namespace(ns)));
    return { module: CacheModule, providers, exports: providers };
  }
}

/** Injects the CacheAside of a namespace (register it with CacheModule.forFeature([ns])). */
export const InjectCache = (namespace: string): ParameterDecorator & PropertyDecorator => Inject(cacheToken(namespace));
