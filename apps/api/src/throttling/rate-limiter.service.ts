import { Inject, Injectable, type ExecutionContext } from '@nestjs/common';
import type { ThrottlerOptions } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RATE_LIMITS, RATE_LIMIT_STORAGE } from './rate-limit.tokens.js';
import type { RedisThrottlerStorage, ThrottlerStorageRecord } from './redis-throttler-storage.js';
import { tooManyRequests } from './too-many-requests.js';

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

  /**
   * Counts the request against every throttler that applies; throws (or rejects with) 429 when one
   * is exceeded. Returns undefined when every count was served locally (no Redis call), so the
   * caller need not wait; otherwise a promise.
   */
  check(context: ExecutionContext): Promise<void> | undefined {
    const http = context.switchToHttp();
    return this.checkFrom(0, context, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
  }

  private checkFrom(start: number, context: ExecutionContext, request: FastifyRequest, reply: FastifyReply): Promise<void> | undefined {
    for (let i = start; i < this.throttlers.length; i++) {
      const throttler = this.throttlers[i]!;
      if (throttler.skipIf?.(context)) continue;
      // request.ip is undefined once the socket is gone; such a request still counts (as 'unknown').
      const tracker: string | Promise<string> = throttler.getTracker ? throttler.getTracker(request, context) : (request.ip ?? 'unknown');
      const counted = tracker instanceof Promise ? tracker.then((t) => this.count(throttler, t, context, reply)) : this.count(throttler, tracker, context, reply);
      if (counted !== undefined) return counted.then(() => this.checkFrom(i + 1, context, request, reply));
    }
    return undefined;
  }

  private count(throttler: ThrottlerOptions, tracker: string, context: ExecutionContext, reply: FastifyReply): Promise<void> | undefined {
    const name = throttler.name ?? 'default';
    const ttl = throttler.ttl as number;
    const key = throttler.generateKey ? throttler.generateKey(context, tracker, name) : defaultKey(context, tracker);
    const record = this.storage.take(key, ttl, throttler.limit as number, (throttler.blockDuration as number | undefined) ?? ttl, name);
    if (record instanceof Promise) return record.then((r) => apply(name, throttler.limit as number, r, reply));
    apply(name, throttler.limit as number, record, reply);
    return undefined;
  }
}

function apply(name: string, limit: number, record: ThrottlerStorageRecord, reply: FastifyReply): void {
  if (record.isBlocked) throw tooManyRequests(reply, record.timeToBlockExpire);
  if (name === 'default') {
    void reply.header('X-RateLimit-Limit', String(limit));
    void reply.header('X-RateLimit-Remaining', String(Math.max(0, limit - record.totalHits)));
    void reply.header('X-RateLimit-Reset', String(record.timeToExpire));
  }
}

/** Like ThrottlerGuard's key (per controller, handler and tracker), unhashed: KeyBuilder escapes it. */
function defaultKey(context: ExecutionContext, tracker: string): string {
  return `${context.getClass().name}.${context.getHandler().name}:${tracker}`;
}
