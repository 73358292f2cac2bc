import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { RedisClient } from '@app/cache';
import { REDIS } from '../cache/cache-infra.module.js';

@Injectable()
export class RedisHealth {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly indicators: HealthIndicatorService,
  ) {}

  check(): PromiseLike<HealthIndicatorResult<'redis'>> {
    return this.indicators
      .check('redis')
      .attempt(async () => {
        if ((await this.redis.ping()) !== 'PONG') throw new Error('unexpected PING reply');
      })
      .withTimeout(2000);
  }
}
