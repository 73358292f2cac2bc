import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { CacheService, infoText, RedisAdmin, type InfoValue } from '@app/cache';
import { MetricsRegistry } from '../../metrics/metrics.registry.js';

/**
 * Redis memory, read when Prometheus scrapes: what to alert on. The main Redis runs with `noeviction`
 * (see docker/redis/redis.conf), so nothing is evicted: when used memory reaches maxmemory, writes are
 * refused (cart writes 503). Alert well before that, e.g. at 80 % of `redis_memory_max_bytes`. With
 * REDIS_CACHE_URL the cache's own server (`allkeys-lru`) is reported as `redis_cache_*`: there a full
 * memory only evicts cached values, so watch its `redis_cache_evicted_keys_total` instead. While a
 * server does not answer, its gauges are left out of the scrape.
 */
@Injectable()
export class RedisMemoryMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: MetricsRegistry,
    private readonly admin: RedisAdmin,
    private readonly cache: CacheService,
  ) {}

  onModuleInit(): void {
    this.register('redis', this.admin);
    if (this.cache.cacheAdmin !== this.admin) this.register('redis_cache', this.cache.cacheAdmin);
  }

  private register(prefix: string, admin: RedisAdmin): void {
    const registers = [this.metrics.registry];
    let latest: Promise<Record<string, InfoValue> | null> | null = null;
    // One INFO per scrape, shared by the gauges below (memory and stats sections, flattened).
    const memory = () =>
      (latest ??= admin
        .info()
        .then(
          (info) => ({ ...info.memory, ...info.stats }),
          () => null,
        )
        .finally(() => setTimeout(() => (latest = null), 0)));
    const gauge = (name: string, help: string, labelNames: string[], read: (m: Record<string, InfoValue>, g: Gauge<string>) => void) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        async collect(this: Gauge<string>) {
          this.reset();
          const m = await memory();
          if (m) read(m, this);
        },
      });
    gauge(`${prefix}_memory_used_bytes`, 'Memory Redis uses (INFO used_memory)', [], (m, g) => g.set(Number(m.used_memory) || 0));
    gauge(`${prefix}_memory_max_bytes`, 'Redis maxmemory (0 = no limit: set one, see docker/redis/redis.conf)', [], (m, g) =>
      g.set(Number(m.maxmemory) || 0),
    );
    gauge(
      `${prefix}_maxmemory_policy_info`,
      'Redis maxmemory-policy (noeviction expected on the main server, allkeys-lru on the cache one)',
      ['policy'],
      (m, g) => g.set({ policy: infoText(m.maxmemory_policy) ?? 'unknown' }, 1),
    );
    gauge(`${prefix}_evicted_keys_total`, 'Keys Redis evicted to stay under maxmemory (INFO evicted_keys)', [], (m, g) =>
      g.set(Number(m.evicted_keys) || 0),
    );
  }
}
