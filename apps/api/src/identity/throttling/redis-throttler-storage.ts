import { Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { KeyBuilder, RedisClient } from '@app/cache';
import { LuaScript } from '@app/cache';

/**
 * Fixed window + block in one script (atomic across instances). KEYS: hits, block (same slot).
 * ARGV: window ms, limit, block ms. Returns { hits, window pttl, blocked 0|1, block pttl }.
 * While blocked, attempts are not counted; the request that goes over the limit starts the block.
 */
const HIT = new LuaScript(`
local blockTtl = redis.call('PTTL', KEYS[2])
if blockTtl > 0 then
  local hits = tonumber(redis.call('GET', KEYS[1]) or '0')
  return { hits, redis.call('PTTL', KEYS[1]), 1, blockTtl }
end
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
if hits > tonumber(ARGV[2]) then
  local block = tonumber(ARGV[3])
  if block <= 0 then return { hits, ttl, 1, ttl } end
  redis.call('SET', KEYS[2], '1', 'PX', block)
  return { hits, ttl, 1, block }
end
return { hits, ttl, 0, 0 }
`);

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

const NAMESPACE = 'throttle';
const LOG_EVERY_MS = 10_000;

/**
 * @nestjs/throttler storage on Redis, shared by every API instance. Keys live under the app's key
 * prefix (`{prefix}:{throttle:<name>:<key>}:hits|block`). When Redis is unreachable it fails open:
 * requests are not limited rather than refused.
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger('Throttler');
  private lastLog = 0;

  constructor(
    private readonly client: RedisClient,
    private readonly keys: KeyBuilder,
  ) {}

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    const [hitsKey, blockKey] = this.keysOf(throttlerName, key);
    try {
      const [hits, windowMs, blocked, blockMs] = (await HIT.run(this.client, [hitsKey, blockKey], [Math.max(1, Math.round(ttl)), limit, Math.round(blockDuration)])) as number[];
      return {
        totalHits: Number(hits),
        timeToExpire: toSeconds(Number(windowMs)),
        isBlocked: Number(blocked) === 1,
        timeToBlockExpire: Number(blocked) === 1 ? Math.max(1, toSeconds(Number(blockMs))) : 0,
      };
    } catch (error) {
      this.warn(error);
      return { totalHits: 0, timeToExpire: 0, isBlocked: false, timeToBlockExpire: 0 };
    }
  }

  /** Forgets a tracker's hits and block (e.g. the per-email login limit after a successful login). */
  async reset(throttlerName: string, key: string): Promise<void> {
    try {
      await this.client.unlink(...this.keysOf(throttlerName, key));
    } catch (error) {
      this.warn(error);
    }
  }

  private keysOf(throttlerName: string, key: string): [string, string] {
    const id = `${throttlerName}:${key}`;
    return [this.keys.hashTagged(NAMESPACE, id, 'hits'), this.keys.hashTagged(NAMESPACE, id, 'block')];
  }

  private warn(error: unknown): void {
    const now = Date.now();
    if (now - this.lastLog < LOG_EVERY_MS) return;
    this.lastLog = now;
    this.logger.warn(`rate limit storage unavailable, not limiting: ${(error as Error)?.message ?? error}`);
  }
}

function toSeconds(ms: number): number {
  return ms > 0 ? Math.ceil(ms / 1000) : 0;
}
