import { HttpException, HttpStatus, Inject, Injectable, type ExecutionContext } from '@nestjs/common';
import type { ThrottlerOptions } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RATE_LIMITS, RATE_LIMIT_STORAGE } from './rate-limit.tokens.js';
import type { RedisThrottlerStorage } from './redis-throttler-storage.js';

/**
 * The app-wide rate limits: @nestjs/throttler's model (named throttlers with ttl, limit,
 * blockDuration, skipIf, getTracker, generateKey over a ThrottlerStorage) evaluated on the Redis
 * storage; over a limit it answers 429 with a plain `Retry-After` and the contract error body.
 *
 * Why not ThrottlerGuard itself: @nestjs/throttler 6.7.1 is CommonJS and require()s the ESM-only
 * @nestjs/common 12. Node 20.19+ allows that, Jest's module runtime does not, so no e2e suite could
 * load it. Storage and options keep the package's interfaces, so ThrottlerGuard can come back as
 * a provider change once Jest can load it.
 */
@Injectable()
export class RateLimiter {
  constructor(
    @Inject(RATE_LIMITS) private readonly throttlers: ThrottlerOptions[],
    @Inject(RATE_LIMIT_STORAGE) private readonly storage: RedisThrottlerStorage,
  ) {}

  /** Counts the request against every throttler that applies; throws 429 when one is exceeded. */
  async check(context: ExecutionContext): Promise<void> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    for (const throttler of this.throttlers) {
      if (throttler.skipIf?.(context)) continue;
      const name = throttler.name ?? 'default';
      const ttl = throttler.ttl as number;
      const limit = throttler.limit as number;
      const tracker = throttler.getTracker ? await throttler.getTracker(request, context) : request.ip;
      const key = throttler.generateKey ? throttler.generateKey(context, tracker, name) : defaultKey(context, tracker);
      const record = await this.storage.take(key, ttl, limit, (throttler.blockDuration as number | undefined) ?? ttl, name);
      if (record.isBlocked) {
        const retryAfter = Math.max(1, record.timeToBlockExpire);
        void reply.header('Retry-After', String(retryAfter));
        throw new HttpException(`Too many requests; retry in ${retryAfter} s`, HttpStatus.TOO_MANY_REQUESTS);
      }
      if (name === 'default') {
        void reply.header('X-RateLimit-Limit', String(limit));
        void reply.header('X-RateLimit-Remaining', String(Math.max(0, limit - record.totalHits)));
        void reply.header('X-RateLimit-Reset', String(record.timeToExpire));
      }
    }
  }
}

/** Like ThrottlerGuard's key (per controller, handler and tracker), unhashed: KeyBuilder escapes it. */
function defaultKey(context: ExecutionContext, tracker: string): string {
  return `${context.getClass().name}.${context.getHandler().name}:${tracker}`;
}
