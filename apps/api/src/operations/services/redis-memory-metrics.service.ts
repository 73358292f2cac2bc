import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { RedisAdmin } from '@app/cache';
import { MetricsRegistry } from '../../metrics/metrics.registry.js';

/**
 * Redis memory, read when Prometheus scrapes: what to alert on. Redis runs with `noeviction` (see
 * docker/redis/redis.conf), so nothing is evicted: when used memory reaches maxmemory, writes are
 * refused (cache writes skipped, cart writes 503). Alert well before that, e.g. at 80 % of
 * `redis_memory_max_bytes`. While Redis does not answer, the gauges are left out of the scrape.
 */
@Injectable()
export class RedisMemoryMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: MetricsRegistry,
    private readonly admin: RedisAdmin,
  ) {}

  onModuleInit(): void {
    const admin = this.admin;
    const registers = [this.metrics.registry];
    let latest: Promise<Record<string, unknown> | null> | null = null;
    // One INFO per scrape, shared by the gauges below.
    const memory = () => (latest ??= admin.info('memory').then((info) => info.memory ?? null, () => null).finally(() => setTimeout(() => (latest = null), 0)));
    const gauge = (name: string, help: string, labelNames: string[], read: (m: Record<string, unknown>, g: Gauge<string>) => void) =>
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
    gauge('redis_memory_used_bytes', 'Memory Redis uses (INFO used_memory)', [], (m, g) => g.set(Number(m.used_memory) || 0));
    gauge('redis_memory_max_bytes', 'Redis maxmemory (0 = no limit: set one, see docker/redis/redis.conf)', [], (m, g) => g.set(Number(m.maxmemory) || 0));
    gauge('redis_maxmemory_policy_info', 'Redis maxmemory-policy (noeviction expected)', ['policy'], (m, g) => g.set({ policy: String(m.maxmemory_policy ?? 'unknown') }, 1));
  }
}
