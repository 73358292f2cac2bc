import { Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { LuaScript, type KeyBuilder, type RedisClient } from '@app/cache';

/** The answer to "may this attempt go ahead?". */
export interface CounterTake {
  allowed: boolean;
  /** Until the window ends (seconds, at least 1), when refused. */
  retryAfterSeconds: number;
}

/**
 * Fixed-window counters for the sign-in limits. take() admits and counts in one atomic step (so
 * parallel attempts can never overshoot the limit); release() gives a count back (an attempt that
 * succeeded or was not an attempt at all); add() only counts.
 */
export interface AttemptCounters {
  take(key: string, limit: number, windowMs: number): Promise<CounterTake>;
  /**
   * take() answered without waiting, where the counters can (a place this process reserved
   * earlier, see ReservedAttemptCounters): true when a place was taken, false when only take() can
   * tell (nothing was counted).
   */
  takeReserved?(key: string, limit: number, windowMs: number): boolean;
  release(key: string): Promise<void>;
  reset(key: string): Promise<void>;
  add(key: string, windowMs: number): Promise<number>;
  get(key: string): Promise<number>;
}

const NAMESPACE = 'attempts';

/**
 * KEYS: counter. ARGV: limit, window ms, places wanted (1 unless reserving). Returns { places
 * granted (0: refused; fewer than wanted when that is all the limit leaves), window pttl }.
 */
const TAKE = new LuaScript(`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
local ttl = redis.call('PTTL', KEYS[1])
local left = tonumber(ARGV[1]) - n
if left <= 0 then
  if ttl < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    ttl = tonumber(ARGV[2])
  end
  return { 0, ttl }
end
local want = math.min(tonumber(ARGV[3] or '1'), left)
redis.call('INCRBY', KEYS[1], want)
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return { want, ttl }
`);

/** Takes one back, never below 0; the window (TTL) is kept. */
const RELEASE = new LuaScript(`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then redis.call('DECR', KEYS[1]) end
return 0
`);

/** KEYS: counter. ARGV: window ms. Counts one; returns the count. */
const ADD = new LuaScript(`
local n = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
`);

/** Counters in Redis, shared by every API instance. Errors are thrown (see FallbackAttemptCounters). */
export class RedisAttemptCounters implements AttemptCounters {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: KeyBuilder,
  ) {}

  async take(key: string, limit: number, windowMs: number): Promise<CounterTake> {
    const { granted, windowLeftMs } = await this.takeSome(key, limit, windowMs, 1);
    return { allowed: granted === 1, retryAfterSeconds: toSeconds(windowLeftMs) };
  }

  /** Up to `want` places at once (as many as the limit leaves; 0: refused) and the window's time left. */
  async takeSome(key: string, limit: number, windowMs: number, want: number): Promise<{ granted: number; windowLeftMs: number }> {
    const window = Math.max(1, Math.round(windowMs));
    const [granted, ttl] = (await TAKE.run(this.client, [this.keyOf(key)], [limit, window, want])) as number[];
    return { granted: Number(granted), windowLeftMs: Number(ttl) };
  }

  async release(key: string): Promise<void> {
    await RELEASE.run(this.client, [this.keyOf(key)]);
  }

  async reset(key: string): Promise<void> {
    await this.client.unlink(this.keyOf(key));
  }

  async add(key: string, windowMs: number): Promise<number> {
    return Number(await ADD.run(this.client, [this.keyOf(key)], [Math.max(1, Math.round(windowMs))]));
  }

  async get(key: string): Promise<number> {
    return Number((await this.client.get(this.keyOf(key))) ?? 0);
  }

  private keyOf(key: string): string {
    return this.keys.hashTagged(NAMESPACE, key, 'n');
  }
}

interface Window {
  n: number;
  expiresAt: number;
}

/**
 * The same counters in this process only. An attacker could push a counter out by filling the
 * map with other keys, so it is large (each entry is a few dozen bytes).
 */
export class MemoryAttemptCounters implements AttemptCounters {
  private map: LRUCache<string, Window> | undefined;

  constructor(private readonly maxKeys = 200_000) {}

  /**
   * Made on first use: lru-cache allocates its slots for maxKeys at once (~4 MB here), and the
   * fallback of FallbackAttemptCounters is used only while Redis fails.
   */
  private get windows(): LRUCache<string, Window> {
    return (this.map ??= new LRUCache<string, Window>({ max: this.maxKeys }));
  }

  async take(key: string, limit: number, windowMs: number): Promise<CounterTake> {
    const now = Date.now();
    const w = this.live(key, now) ?? this.open(key, now, windowMs);
    if (w.n >= limit) return { allowed: false, retryAfterSeconds: toSeconds(w.expiresAt - now) };
    w.n++;
    return { allowed: true, retryAfterSeconds: 0 };
  }

  async release(key: string): Promise<void> {
    const w = this.live(key, Date.now());
    if (w && w.n > 0) w.n--;
  }

  async reset(key: string): Promise<void> {
    this.windows.delete(key);
  }

  async add(key: string, windowMs: number): Promise<number> {
    const now = Date.now();
    const w = this.live(key, now) ?? this.open(key, now, windowMs);
    return ++w.n;
  }

  async get(key: string): Promise<number> {
    return this.live(key, Date.now())?.n ?? 0;
  }

  private live(key: string, now: number): Window | undefined {
    const w = this.windows.get(key);
    if (w === undefined || w.expiresAt > now) return w;
    this.windows.delete(key);
    return undefined;
  }

  private open(key: string, now: number, windowMs: number): Window {
    const w = { n: 0, expiresAt: now + windowMs };
    this.windows.set(key, w);
    return w;
  }
}

/** After a Redis error, this long goes straight to the in-process counters. */
const REDIS_RETRY_AFTER_MS = 1_000;
const LOG_EVERY_MS = 10_000;

/**
 * Redis counters that never fail open: when Redis errors (down, timing out, out of memory) the
 * operation runs on this process's own counters instead, and for a second after that every
 * operation does, so an outage does not cost each sign-in a failed round trip. The limits then hold
 * per instance rather than across all of them (at most N x the limit with N instances) and counts
 * are not carried over either way when Redis fails or comes back.
 */
export class FallbackAttemptCounters implements AttemptCounters {
  private readonly logger = new Logger('AttemptCounters');
  private redisDownUntil = 0;
  private lastLog = 0;

  constructor(
    private readonly redis: AttemptCounters,
    private readonly local: AttemptCounters = new MemoryAttemptCounters(),
  ) {}

  take(key: string, limit: number, windowMs: number): Promise<CounterTake> {
    return this.run((c) => c.take(key, limit, windowMs));
  }

  /** While Redis is failing, false: take() counts in this process then. */
  takeReserved(key: string, limit: number, windowMs: number): boolean {
    if (Date.now() < this.redisDownUntil) return false;
    return this.redis.takeReserved?.(key, limit, windowMs) ?? false;
  }

  release(key: string): Promise<void> {
    return this.run((c) => c.release(key));
  }

  reset(key: string): Promise<void> {
    return this.run((c) => c.reset(key));
  }

  add(key: string, windowMs: number): Promise<number> {
    return this.run((c) => c.add(key, windowMs));
  }

  get(key: string): Promise<number> {
    return this.run((c) => c.get(key));
  }

  private async run<T>(op: (counters: AttemptCounters) => Promise<T>): Promise<T> {
    if (Date.now() < this.redisDownUntil) return op(this.local);
    try {
      return await op(this.redis);
    } catch (error) {
      this.redisDownUntil = Date.now() + REDIS_RETRY_AFTER_MS;
      this.warn(error);
      return op(this.local);
    }
  }

  private warn(error: unknown): void {
    const now = Date.now();
    if (now - this.lastLog < LOG_EVERY_MS) return;
    this.lastLog = now;
    this.logger.warn(`sign-in limits: Redis unavailable, counting in this process: ${(error as Error)?.message ?? error}`);
  }
}

export function toSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
