import type { KeyBuilder } from '../keys/key-builder.js';
import type { RedisClient } from '../redis/connection.js';
import { DEFAULT_OPERATION_TIMEOUT_MS, failFast } from '../redis-ops/fail-fast.js';
import { DECREMENT_BOUNDED, INCR_WITH_TTL } from './counter-scripts.js';

export interface CounterWriteOptions {
  /** Expiry in ms, applied when the counter has none yet (first write of a window). */
  ttl?: number;
}

export interface BoundedResult {
  /** false: the decrement would have crossed the floor and was not applied. */
  ok: boolean;
  /** The value after the call (unchanged when ok is false). */
  value: number;
}

function assertInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`Counter ${name} must be a safe integer, got ${value}`);
}

/**
 * Atomic integer counters (stock reservations, rate windows, statistics). Unlike cache reads they
 * cannot fall back to anything when Redis is down, so they throw RedisUnavailableError instead.
 */
export class CounterService {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: KeyBuilder,
    private readonly namespace = 'counters',
    private readonly timeoutMs = DEFAULT_OPERATION_TIMEOUT_MS,
  ) {}

  /** The Redis key of counter `name`. */
  keyFor(name: string): string {
    return this.keys.raw(this.namespace, name);
  }

  async incr(name: string, by = 1, opts: CounterWriteOptions = {}): Promise<number> {
    assertInteger('increment', by);
    const key = this.keyFor(name);
    if (opts.ttl === undefined) return this.run(() => this.client.incrby(key, by));
    const ttl = this.ttlOf(opts.ttl);
    return this.run(async () => Number(await INCR_WITH_TTL.run(this.client, [key], [by, ttl])));
  }

  decr(name: string, by = 1, opts: CounterWriteOptions = {}): Promise<number> {
    assertInteger('decrement', by);
    return this.incr(name, -by, opts);
  }

  /** Current value; 0 when the counter does not exist (or expired). */
  async get(name: string): Promise<number> {
    const raw = await this.run(() => this.client.get(this.keyFor(name)));
    return raw === null ? 0 : Number(raw);
  }

  async set(name: string, value: number, opts: CounterWriteOptions = {}): Promise<void> {
    assertInteger('value', value);
    const key = this.keyFor(name);
    await this.run(() => (opts.ttl === undefined ? this.client.set(key, value) : this.client.set(key, value, 'PX', this.ttlOf(opts.ttl))));
  }

  /** Deletes the counter (it reads as 0 afterwards). */
  async reset(name: string): Promise<void> {
    await this.run(() => this.client.unlink(this.keyFor(name)));
  }

  /** Decrements by `by` only if the result stays >= floor; one Lua script, so concurrent callers never overshoot. */
  async decrementBounded(name: string, by: number, opts: { floor?: number } = {}): Promise<BoundedResult> {
    assertInteger('decrement', by);
    if (by <= 0) throw new RangeError(`decrementBounded needs a positive amount, got ${by}`);
    const floor = opts.floor ?? 0;
    assertInteger('floor', floor);
    const [ok, value] = (await this.run(() => DECREMENT_BOUNDED.run(this.client, [this.keyFor(name)], [by, floor]))) as [number, number];
    return { ok: ok === 1, value: Number(value) };
  }

  private ttlOf(ttl: number): number {
    if (!Number.isFinite(ttl) || ttl <= 0) throw new RangeError(`Counter ttl must be > 0 ms, got ${ttl}`);
    return Math.ceil(ttl);
  }

  private run<T>(op: () => Promise<T>): Promise<T> {
    return failFast(this.client, op, this.timeoutMs);
  }
}
