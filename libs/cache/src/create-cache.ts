import { randomUUID } from 'node:crypto';
import { CacheAside } from './core/cache-aside.js';
import type { GetOrLoadOptions } from './core/options.js';
import { WriteThrough } from './core/write-through.js';
import { CounterService } from './counters/counter.service.js';
import { Invalidator } from './invalidation/invalidator.js';
import { KeyBuilder } from './keys/key-builder.js';
import { InvalidationBus } from './l1/invalidation-bus.js';
import { L1Store, type L1Options } from './l1/l1-cache.js';
import { LockService } from './locks/lock.service.js';
import { closeConnection, createRedisConnection, waitForReady, type RedisClient, type RedisConnectionOptions } from './redis/connection.js';
import { CircuitBreaker, type CircuitBreakerOptions } from './resilience/circuit-breaker.js';
import { GuardedRedis } from './resilience/guarded-redis.js';
import { JsonSerializer, MsgpackSerializer, type Serializer } from './serialization/serializer.js';
import { CacheStats } from './stats/cache-stats.js';
import { RedisAdmin } from './admin/redis-admin.js';
import { RedisBatch } from './batch/redis-batch.js';
import { registerOpenTelemetryMetrics } from './telemetry/open-telemetry.js';

export interface CreateCacheOptions {
  /** A ready-made client (you close it) or connection options (the cache owns and closes it). */
  redis: RedisClient | RedisConnectionOptions;
  /**
   * Where cached values live: entries, tags, namespace versions, load locks and the L1 bus (default:
   * `redis`). A server of its own may run an evicting policy (`allkeys-lru`) so that cache data makes
   * room under memory pressure, while `redis` keeps what must not vanish (locks, counters and what
   * the app stores through `client`) under `noeviction`.
   */
  cacheRedis?: RedisClient | RedisConnectionOptions;
  /** First key segment of everything this cache writes (default "app"). */
  prefix?: string;
  /** Namespace of `cache` (default "default"). */
  namespace?: string;
  /** The v{N} key segment; bump when cached value shapes change (default 1). */
  keyVersion?: number;
  maxKeyLength?: number;
  /** In-process L1 with pub/sub invalidation (default off). */
  l1?: L1Options | false;
  serializer?: Serializer | 'json' | 'msgpack';
  /** Default ttl in ms (default 60 000); shorthand for defaults.ttl. */
  defaultTtl?: number;
  /** Default getOrLoad options for every namespace. */
  defaults?: GetOrLoadOptions;
  breaker?: CircuitBreakerOptions;
  /** Deadline per Redis call for clients without their own commandTimeout (default 500 ms). */
  operationTimeoutMs?: number;
  /** Lifetime of key-invalidation tombstones (default 60 s). */
  tombstoneTtlMs?: number;
  /** Load-lock lease and waiters' max wait (defaults 10 s / 5 s). */
  loadLock?: { ttlMs?: number; waitMs?: number };
  /** Extra independent Redis nodes for quorum locks (LockService); default: the cache client only. */
  lockClients?: RedisClient[];
  /** Identifies this process on the invalidation bus (default random). */
  instanceId?: string;
  /** Called for Redis errors that were failed open and values that could not be cached (e.g. for logging; keep it cheap). */
  onError?: (err: unknown) => void;
  /** Report the cache counters as OpenTelemetry metrics (a no-op without an SDK; default true). */
  openTelemetry?: boolean;
  /** Called for every failed load, including background refreshes whose caller got a stale value. */
  onLoadError?: (err: unknown) => void;
  /**
   * Cache reads issued in the same tick leave in one socket write instead of one write each
   * (default true; standalone/Sentinel only). A read waits at most for the current tick to end.
   */
  coalesceWrites?: boolean;
}

export interface NamespaceOptions {
  keyVersion?: number;
  defaults?: GetOrLoadOptions;
}

/**
 * Everything the cache library offers, wired to one Redis client. The same object is used by the
 * Nest module (CacheService) and by workers or scripts through createCache().
 */
export class CacheService {
  /** The durable connection: locks, counters, batch, admin, and the app's own data. */
  readonly client: RedisClient;
  /** The connection of the cached values (the same as `client` unless `cacheRedis` was given). */
  readonly cacheClient: RedisClient;
  readonly keys: KeyBuilder;
  readonly stats: CacheStats;
  readonly breaker: CircuitBreaker;
  readonly invalidator: Invalidator;
  readonly writeThrough: WriteThrough;
  readonly cache: CacheAside;
  readonly locks: LockService;
  readonly counters: CounterService;
  readonly batch: RedisBatch;
  readonly admin: RedisAdmin;
  /** RedisAdmin of the cache's server (`admin` when the cache shares `client`). */
  readonly cacheAdmin: RedisAdmin;
  readonly l1: L1Store | undefined;
  readonly bus: InvalidationBus | undefined;
  readonly serializer: Serializer;
  readonly instanceId: string;

  private readonly redis: GuardedRedis;
  private readonly namespaces = new Map<string, CacheAside>();
  private readonly ownsClient: boolean;
  private readonly ownsCacheClient: boolean;
  private readonly busStarted: Promise<void>;
  private readonly stopTelemetry: (() => void) | undefined;
  private closed = false;

  constructor(private readonly options: CreateCacheOptions) {
    this.ownsClient = !isClient(options.redis);
    this.client = isClient(options.redis) ? options.redis : createRedisConnection(options.redis);
    const cacheRedis = options.cacheRedis;
    this.ownsCacheClient = cacheRedis !== undefined && !isClient(cacheRedis);
    this.cacheClient = cacheRedis === undefined ? this.client : isClient(cacheRedis) ? cacheRedis : createRedisConnection(cacheRedis);
    this.instanceId = options.instanceId ?? randomUUID();
    this.keys = new KeyBuilder({ prefix: options.prefix ?? 'app', maxKeyLength: options.maxKeyLength });
    this.stats = new CacheStats(options.onLoadError, options.onError);
    this.stopTelemetry = options.openTelemetry === false ? undefined : registerOpenTelemetryMetrics(this.stats);
    this.breaker = new CircuitBreaker(options.breaker);
    // A reconnected client is healthy: close the circuit at once instead of waiting for a probe.
    this.cacheClient.on('ready', this.onReady);
    this.redis = new GuardedRedis(this.cacheClient, this.breaker, {
      timeoutMs: options.operationTimeoutMs,
      onError: options.onError,
      coalesceWrites: options.coalesceWrites,
    });
    this.serializer = resolveSerializer(options.serializer);
    if (options.l1) {
      this.l1 = new L1Store(options.l1);
      this.bus = new InvalidationBus({
        publisher: this.cacheClient,
        channel: `${this.keys.prefix}:__cache_invalidation`,
        presenceKey: `${this.keys.prefix}:__cache_instances`,
        // Longer than the L1 ttl by default: see InvalidationBus (strict invalidation).
        ackTimeoutMs: options.l1.ackTimeoutMs ?? options.l1.ttlMs + 1_000,
        store: this.l1,
        instanceId: this.instanceId,
        onError: options.onError,
        tracking:
          options.l1.serverAssisted === false
            ? undefined
            : {
                prefixOf: (ns) => `${this.keys.prefix}:${ns}:v`,
                namespaceOf: (key) => this.keys.namespaceOf(key),
                probeKey: `${this.keys.prefix}:__cache_tracking_probe:${this.instanceId}`,
              },
      });
      this.busStarted = this.bus.start();
    } else {
      this.busStarted = Promise.resolve();
    }
    this.invalidator = new Invalidator({
      redis: this.redis,
      keys: this.keys,
      keyVersion: (ns) => this.namespaces.get(ns)?.keyVersion ?? options.keyVersion ?? 1,
      l1: this.l1,
      bus: this.bus,
      tombstoneTtlMs: options.tombstoneTtlMs,
    });
    this.cache = this.namespace(options.namespace ?? 'default');
    this.writeThrough = new WriteThrough((ns) => (ns ? this.namespace(ns) : this.cache));
    this.locks = new LockService({ clients: options.lockClients?.length ? options.lockClients : [this.client], keys: this.keys });
    this.counters = new CounterService(this.client, this.keys);
    this.batch = new RedisBatch(this.client);
    this.admin = new RedisAdmin(this.client);
    this.cacheAdmin = this.cacheClient === this.client ? this.admin : new RedisAdmin(this.cacheClient);
  }

  /** The CacheAside of a namespace (one instance per namespace; options apply on first call). */
  namespace(namespace: string, opts: NamespaceOptions = {}): CacheAside {
    let ns = this.namespaces.get(namespace);
    if (!ns) {
      const defaults: GetOrLoadOptions = { ...this.options.defaults, ...opts.defaults };
      if (this.options.defaultTtl !== undefined && defaults.ttl === undefined) defaults.ttl = this.options.defaultTtl;
      ns = new CacheAside({
        redis: this.redis,
        keys: this.keys,
        namespace,
        keyVersion: opts.keyVersion ?? this.options.keyVersion,
        serializer: this.serializer,
        stats: this.stats,
        invalidator: this.invalidator,
        l1: this.l1?.namespace(namespace),
        defaults,
        lockTtlMs: this.options.loadLock?.ttlMs,
        lockWaitMs: this.options.loadLock?.waitMs,
      });
      this.namespaces.set(namespace, ns);
    }
    return ns;
  }

  /** Resolves when Redis is connected and (with L1) the invalidation bus is joined, so L1 serves. */
  async ready(timeoutMs = 5_000): Promise<void> {
    await Promise.all([
      waitForReady(this.client, timeoutMs),
      this.cacheClient === this.client ? undefined : waitForReady(this.cacheClient, timeoutMs),
    ]);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.busStarted.then(() => this.bus?.serving()),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('invalidation bus not joined')), timeoutMs))),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cacheClient.off('ready', this.onReady);
    this.stopTelemetry?.();
    this.invalidator.close();
    this.l1?.close();
    await this.bus?.close();
    await Promise.all([
      this.ownsClient ? closeConnection(this.client) : undefined,
      this.ownsCacheClient ? closeConnection(this.cacheClient) : undefined,
    ]);
  }

  private readonly onReady = (): void => this.breaker.reset();
}

/** Builds the cache objects without Nest (workers, scripts, anything outside a Nest app). */
export function createCache(options: CreateCacheOptions): CacheService {
  return new CacheService(options);
}

function isClient(x: RedisClient | RedisConnectionOptions): x is RedisClient {
  return typeof (x as RedisClient).sendCommand === 'function';
}

function resolveSerializer(s: CreateCacheOptions['serializer']): Serializer {
  if (!s || s === 'json') return new JsonSerializer();
  if (s === 'msgpack') return new MsgpackSerializer();
  return s;
}
