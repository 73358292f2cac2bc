import type { AttemptCounters, CounterTake, RedisAttemptCounters } from './attempt-counters.js';
import { toSeconds } from './attempt-counters.js';
import { reservationSize } from './redis-throttler-storage.js';

/** Reservations kept at most (one per busy key); past it the map starts over (their places expire with their windows). */
const MAX_RESERVATIONS = 50_000;
const ALLOWED: CounterTake = Object.freeze({ allowed: true, retryAfterSeconds: 0 });

/** Places this instance took from Redis for one key and has not handed out yet. */
interface Reservation {
  places: number;
  /** Local end of the window: measured from the send, so never later than Redis's. */
  expiresAt: number;
  /** Size of the next reservation: doubles while the key stays busy, so a quiet key asks for 1. */
  next: number;
  /** The reservation in flight (its attempt's answer), which takes() of the same key wait for instead of asking too. */
  pending?: Promise<CounterTake>;
}

/**
 * Attempt counters that, for a busy key under a high limit, take several places from Redis at once
 * and hand them out in this process: one Redis call per reservation instead of per attempt, which
 * on a guest-cart write (the limit of new carts per IP) was one of its two Redis round trips.
 *
 * The limit holds exactly (reserved places are counted in Redis when taken); the slack is the other
 * way, as with the default rate limit (RedisThrottlerStorage): places reserved by one instance and
 * not used there can refuse a client spread over several instances a few attempts early. So a
 * reservation is at most 1 % of the limit and `reserveMax`: limits under 200 (the sign-in limits,
 * the default guest-cart limit of 60) are counted one by one, exactly as before. An attempt given
 * back (release) returns to this instance's reservation while its window lasts.
 */
export class ReservedAttemptCounters implements AttemptCounters {
  private readonly reservations = new Map<string, Reservation>();

  constructor(
    private readonly redis: RedisAttemptCounters,
    private readonly reserveMax: number,
  ) {}

  async take(key: string, limit: number, windowMs: number): Promise<CounterTake> {
    const batch = reservationSize(this.reserveMax, limit);
    if (batch <= 1) return this.redis.take(key, limit, windowMs);
    for (;;) {
      if (this.takeLocal(key)) return ALLOWED;
      const r = this.reservations.get(key);
      if (r?.pending === undefined) return this.reserve(key, limit, windowMs, batch, r);
      await r.pending;
    }
  }

  /** A place of this instance's reservation for `key`, when it has one left (limits of 200 and more). */
  takeReserved(key: string, limit: number): boolean {
    return reservationSize(this.reserveMax, limit) > 1 && this.takeLocal(key);
  }

  async release(key: string): Promise<void> {
    const r = this.reservations.get(key);
    if (r !== undefined && Date.now() < r.expiresAt) {
      r.places++;
      return;
    }
    await this.redis.release(key);
  }

  async reset(key: string): Promise<void> {
    this.reservations.delete(key);
    await this.redis.reset(key);
  }

  add(key: string, windowMs: number): Promise<number> {
    return this.redis.add(key, windowMs);
  }

  private takeLocal(key: string): boolean {
    const r = this.reservations.get(key);
    if (r === undefined || r.places <= 0 || Date.now() >= r.expiresAt) return false;
    r.places--;
    return true;
  }

  /** Redis's count: places reserved here and not yet used are included. */
  get(key: string): Promise<number> {
    return this.redis.get(key);
  }

  /** One place for this attempt plus the next ones' from Redis; the attempt's answer. */
  private async reserve(key: string, limit: number, windowMs: number, batch: number, last: Reservation | undefined): Promise<CounterTake> {
    const now = Date.now();
    // Busy: the last reservation ran out within its window. Otherwise start again from one place.
    const want = last !== undefined && now < last.expiresAt ? Math.min(batch, last.next) : 1;
    const r: Reservation = { places: 0, expiresAt: 0, next: want };
    r.pending = this.redis.takeSome(key, limit, windowMs, want).then(
      ({ granted, windowLeftMs }): CounterTake => {
        r.pending = undefined;
        r.places = Math.max(0, granted - 1);
        r.expiresAt = now + windowLeftMs;
        r.next = Math.min(batch, want * 2);
        return granted > 0 ? ALLOWED : { allowed: false, retryAfterSeconds: toSeconds(windowLeftMs) };
      },
      (error: unknown) => {
        r.pending = undefined;
        if (this.reservations.get(key) === r) this.reservations.delete(key);
        throw error;
      },
    );
    if (this.reservations.size >= MAX_RESERVATIONS && !this.reservations.has(key)) this.reservations.clear();
    this.reservations.set(key, r);
    return r.pending;
  }
}
