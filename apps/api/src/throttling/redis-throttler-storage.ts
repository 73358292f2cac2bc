import { Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { KeyBuilder, RedisClient } from '@app/cache';
import { LuaScript } from '@app/cache';

/**
 * Fixed window + block in one script (atomic across instances). KEYS: hits, block (same slot).
 * ARGV: window ms, limit, block ms, hits wanted (a reservation; 1 = a single request).
 * Returns { hits, window pttl, blocked 0|1, block pttl, hits granted }.
 * While blocked, attempts are not counted; the request that goes over the limit starts the block.
 * A reservation never takes the counter past the limit: it gets what is left (possibly fewer than
 * wanted), and when nothing is left it counts as one attempt, exactly like a single request.
 */
const HIT = new LuaScript(`
local blockTtl = redis.call('PTTL', KEYS[2])
if blockTtl > 0 then
  local hits = tonumber(redis.call('GET', KEYS[1]) or '0')
  return { hits, redis.call('PTTL', KEYS[1]), 1, blockTtl, 0 }
end
local want = tonumber(ARGV[4] or '1')
local limit = tonumber(ARGV[2])
local hits = redis.call('INCRBY', KEYS[1], want)
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
if hits > limit then
  local granted = limit - (hits - want)
  if granted > 0 then
    redis.call('DECRBY', KEYS[1], want - granted)
    return { limit, ttl, 0, 0, granted }
  end
  if want > 1 then hits = redis.call('DECRBY', KEYS[1], want - 1) end
  local block = tonumber(ARGV[3])
  if block <= 0 then return { hits, ttl, 1, ttl, 0 } end
  redis.call('SET', KEYS[2], '1', 'PX', block)
  return { hits, ttl, 1, block, 0 }
end
return { hits, ttl, 0, 0, want }
`);

export type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

const NAMESPACE = 'throttle';
const LOG_EVERY_MS = 10_000;
/** A reservation takes at most this share of the limit, so the early-refusal slack stays ~1 %. */
const RESERVE_SHARE = 0.01;

/** Most hits (or places) one reservation may take under `limit`: 1 or less means none (limits under 200). */
export function reservationSize(reserveMax: number, limit: number): number {
  return Math.min(reserveMax, Math.floor(limit * RESERVE_SHARE));
}
/** Local reservations kept at most (one per hot key); beyond that, keys go to Redis per request. */
const MAX_RESERVATIONS = 50_000;
const SWEEP_EVERY_MS = 5_000;

/** Hits this instance took from Redis for one key and has not handed out yet. */
interface Reservation {
  tokens: number;
  /** Redis count when the reservation was taken (for X-RateLimit-Remaining). */
  hits: number;
  /** Local end of the reservation's window: never later than Redis's (measured from the send). */
  expiresAt: number;
  /** Size of the next reservation: doubles while the key stays hot, so cold keys ask for 1. */
  next: number;
  /** Requests waiting for this key's reservation: the next one asks for enough for all of them. */
  waiting: number;
  /** The reservation in flight; resolves to a final record (blocked / failed open) or null (tokens added). */
  pending?: Promise<ThrottlerStorageRecord | null>;
  /**
   * The next reservation, taken ahead while this one still has tokens (see refillAt): served once
   * this one runs out or its window ends, so a busy key's requests rarely wait for Redis.
   */
  ahead?: { tokens: number; hits: number; expiresAt: number };
  /** Tokens left at which the next reservation is taken ahead (half of the last grant; -1 = never). */
  refillAt: number;
  /** What reserve() needs to take the next one (the key's throttler settings). */
  source: ReservationSource;
}

interface ReservationSource {
  readonly key: string;
  readonly ttl: number;
  readonly limit: number;
  readonly blockDuration: number;
  readonly name: string;
  readonly batch: number;
}

/** Whether `r` has a token for now, moving its reservation taken ahead in when its own ran out. */
function usable(r: Reservation, now: number): boolean {
  if (r.tokens > 0 && now < r.expiresAt) return true;
  const next = r.ahead;
  if (next === undefined) return false;
  r.ahead = undefined;
  if (now >= next.expiresAt) return false;
  r.tokens = next.tokens;
  r.hits = next.hits;
  r.expiresAt = next.expiresAt;
  return r.tokens > 0;
}

/**
 * @nestjs/throttler storage on Redis, shared by every API instance; ThrottlerGuard calls
 * increment() once per request and throttler. Keys live under the app's key prefix
 * (`{prefix}:{throttle:<name>:<key>}:hits|block`). When Redis is unreachable it fails open:
 * requests are not limited rather than refused.
 *
 * Local reservations for hot keys (reserveMax > 1, THROTTLE_RESERVE_MAX): a Redis call per request
 * is the largest single cost of a cached API request (a socket write + reply), so when one key is
 * busy an instance takes several hits at once (the Lua script counts them in Redis immediately) and
 * hands them out locally until they run out or the window ends; once half of a reservation of 4 or
 * more is spent, the next one is taken in the background, so requests do not queue behind the Redis
 * call when it runs out. The limit holds exactly (never more
 * than `limit` admitted per window across instances: reserved hits are already counted); the slack
 * is the other way: hits reserved but unused by other instances (half of one, and the one taken
 * ahead) can make a client that spreads over instances see 429 up to about (instances - 1) x 1.5 x
 * reservation requests early. Reservations are at most 1 % of the limit and `reserveMax`; limits
 * under 200 never reserve. This sits entirely behind
 * the ThrottlerStorage contract: the guard cannot tell a reserved hit from a counted one.
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger('Throttler');
  private lastLog = 0;
  private readonly reservations = new Map<string, Reservation>();
  private nextSweep = 0;

  constructor(
    private readonly client: RedisClient,
    private readonly keys: KeyBuilder,
    private readonly reserveMax = 1,
  ) {}

  /**
   * Counts one request (ThrottlerStorage.increment): from this instance's reservation when the key
   * is hot and one is left in the window, else through the Lua script.
   */
  increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    const batch = reservationSize(this.reserveMax, limit);
    if (batch <= 1) return this.single(key, ttl, limit, blockDuration, throttlerName);
    const id = `${throttlerName}:${key}`;
    const r = this.reservations.get(id);
    // Fast path, no async function frame: a token is left in this window.
    if (r !== undefined) {
      const now = Date.now();
      if (usable(r, now)) return Promise.resolve(this.spend(r, limit, now));
    }
    return this.takeSlow(id, key, ttl, limit, blockDuration, throttlerName, batch);
  }

  /**
   * increment() when it can answer at once: a token of this instance's reservation for the key is
   * left in its window (the common case of a busy key). Undefined otherwise: call increment().
   * For callers that decide without waiting a turn (RouteRateLimit).
   */
  incrementLocal(key: string, limit: number, throttlerName: string): ThrottlerStorageRecord | undefined {
    const r = this.reservations.get(`${throttlerName}:${key}`);
    if (r === undefined) return undefined;
    const now = Date.now();
    return usable(r, now) ? this.spend(r, limit, now) : undefined;
  }

  private async single(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    return (await this.hit(key, ttl, limit, blockDuration, throttlerName, 1)).record;
  }

  private async takeSlow(
    id: string,
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
    batch: number,
  ): Promise<ThrottlerStorageRecord> {
    for (;;) {
      const now = Date.now();
      let r = this.reservations.get(id);
      if (r !== undefined && usable(r, now)) return this.spend(r, limit, now);
      if (r === undefined) {
        this.sweep(now);
        if (this.reservations.size >= MAX_RESERVATIONS) return this.single(key, ttl, limit, blockDuration, throttlerName);
        const source = { key, ttl, limit, blockDuration, name: throttlerName, batch };
        r = { tokens: 0, hits: 0, expiresAt: 0, next: 1, waiting: 0, refillAt: -1, source };
        this.reservations.set(id, r);
      }
      r.waiting++;
      r.pending ??= this.reserve(r, now);
      const final = await r.pending;
      r.waiting--;
      if (final !== null) return final;
    }
  }

  private async reserve(r: Reservation, sentAt: number): Promise<ThrottlerStorageRecord | null> {
    const { key, ttl, limit, blockDuration, name, batch } = r.source;
    // A new window starts small again; within a window the size doubles up to the batch, and a
    // burst of waiting requests asks for all of them at once.
    const want = Math.min(batch, Math.max(sentAt < r.expiresAt ? r.next : 1, r.waiting));
    const { record, granted, windowMs } = await this.hit(key, ttl, limit, blockDuration, name, want);
    r.pending = undefined;
    r.next = Math.min(batch, want * 2);
    if (granted === 0) return record; // blocked, or Redis unavailable (failed open)
    const grant = { tokens: granted, hits: record.totalHits, expiresAt: sentAt + windowMs };
    // Taken ahead while this one still serves: it waits its turn (usable()).
    if (r.tokens > 0 && Date.now() < r.expiresAt) r.ahead = grant;
    else Object.assign(r, grant);
    r.refillAt = granted >= 4 ? granted >> 1 : -1;
    return null;
  }

  private spend(r: Reservation, limit: number, now: number): ThrottlerStorageRecord {
    r.tokens--;
    // Half of a busy key's reservation is spent: the next one is taken now, not when it runs out.
    if (r.tokens === r.refillAt && r.pending === undefined && r.ahead === undefined) r.pending = this.reserve(r, now);
    return {
      totalHits: Math.min(limit, r.hits - r.tokens),
      timeToExpire: toSeconds(r.expiresAt - now),
      isBlocked: false,
      timeToBlockExpire: 0,
    };
  }

  /** Drops reservations whose window has ended (bounded memory for many keys). */
  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + SWEEP_EVERY_MS;
    for (const [id, r] of this.reservations)
      if (Math.max(r.expiresAt, r.ahead?.expiresAt ?? 0) <= now && r.pending === undefined) this.reservations.delete(id);
  }

  private async hit(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
    want: number,
  ): Promise<{ record: ThrottlerStorageRecord; granted: number; windowMs: number }> {
    const [hitsKey, blockKey] = this.keysOf(throttlerName, key);
    try {
      const [hits, windowMs, blocked, blockMs, granted] = (await HIT.run(
        this.client,
        [hitsKey, blockKey],
        [Math.max(1, Math.round(ttl)), limit, Math.round(blockDuration), want],
      )) as number[];
      return {
        record: {
          totalHits: Number(hits),
          timeToExpire: toSeconds(Number(windowMs)),
          isBlocked: Number(blocked) === 1,
          timeToBlockExpire: Number(blocked) === 1 ? Math.max(1, toSeconds(Number(blockMs))) : 0,
        },
        granted: Number(granted),
        windowMs: Number(windowMs),
      };
    } catch (error) {
      this.warn(error);
      return { record: { totalHits: 0, timeToExpire: 0, isBlocked: false, timeToBlockExpire: 0 }, granted: 0, windowMs: 0 };
    }
  }

  /** Forgets a tracker's hits and block. */
  async reset(throttlerName: string, key: string): Promise<void> {
    this.reservations.delete(`${throttlerName}:${key}`);
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
