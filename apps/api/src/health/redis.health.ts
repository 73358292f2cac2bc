import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { CacheService, REDIS_CLIENT, type RedisClient } from '@app/cache';

/** `redis` (the main server), and `redisCache` when cached values live on a server of their own. */
@Injectable()
export class RedisHealth {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    private readonly cache: CacheService,
    private readonly indicators: HealthIndicatorService,
  ) {}

  async check(): Promise<HealthIndicatorResult> {
    const main = this.ping('redis', this.redis);
    if (this.cache.cacheClient === this.redis) return main;
    const [a, b] = await Promise.all([main, this.ping('redisCache', this.cache.cacheClient)]);
    return { ...a, ...b };
  }

  private ping<K extends string>(key: K, client: RedisClient): PromiseLike<HealthIndicatorResult<K>> {
    return this.indicators
      .check(key)
      .attempt(async () => {
        if ((await client.ping()) !== 'PONG') throw new Error('unexpected PING reply');
      })
      .withTimeout(2000);
  }
}
