import { Inject, Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AttemptCounters } from './attempt-counters.js';
import { ATTEMPT_COUNTERS } from './rate-limit.tokens.js';

/** One counter an attempt must pass. */
export interface CounterRule {
  key: string;
  limit: number;
  windowMs: number;
  /**
   * What a success does to the count: 'keep' it (every attempt counts, e.g. registrations),
   * 'release' it (only failures count) or 'reset' the whole window (a success clears the failures).
   */
  onSuccess: 'keep' | 'release' | 'reset';
}

/** Failures counted under `key` slow further attempts down without ever refusing them. */
export interface Slowdown {
  key: string;
  windowMs: number;
  /** Failures before attempts are delayed. */
  after: number;
  maxDelayMs: number;
  /**
   * A success marks this key for `trustMs`; attempts under a marked key are not slowed down (a
   * known device of the owner: OWASP's device cookie, here the (email, IP) pair).
   */
  trusted?: { key: string; trustMs: number };
}

export interface AttemptPlan {
  counters: CounterRule[];
  slowdown?: Slowdown;
}

/**
 * How an attempt ended: 'success', 'failure' (wrong credentials: keeps its counts and adds to the
 * slowdown) or 'void' (nothing was tried, e.g. a validation error: every count is given back).
 */
export type AttemptOutcome = 'success' | 'failure' | 'void';

/** Thrown by begin() when a counter is exhausted. */
export class AttemptsExhausted extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`too many attempts; retry in ${retryAfterSeconds} s`);
  }
}

const FIRST_DELAY_MS = 250;
const SETTLED: Promise<void> = Promise.resolve();

/** The wait before an attempt once `failures` reached `after`: 250 ms, doubling per failure, capped. */
export function slowdownDelayMs(failures: number, after: number, maxDelayMs: number): number {
  if (maxDelayMs <= 0 || failures < after) return 0;
  return Math.min(maxDelayMs, FIRST_DELAY_MS * 2 ** Math.min(failures - after, 20));
}

/** An admitted attempt: settle() it once with its outcome. */
export class Attempt {
  private settled = false;

  constructor(
    private readonly counters: AttemptCounters,
    private readonly plan: AttemptPlan,
  ) {}

  /** Never throws (the counters fall back to the process when Redis fails). */
  settle(outcome: AttemptOutcome): Promise<void> {
    if (this.settled) return SETTLED;
    this.settled = true;
    const { counters, slowdown } = this.plan;
    const work: Promise<unknown>[] = [];
    for (const rule of counters) {
      if (outcome === 'void' || (outcome === 'success' && rule.onSuccess === 'release')) work.push(this.counters.release(rule.key));
      else if (outcome === 'success' && rule.onSuccess === 'reset') work.push(this.counters.reset(rule.key));
    }
    if (outcome === 'failure' && slowdown) work.push(this.counters.add(slowdown.key, slowdown.windowMs));
    if (outcome === 'success' && slowdown?.trusted) work.push(this.counters.add(slowdown.trusted.key, slowdown.trusted.trustMs));
    // Nothing to give back (a kept success, e.g. a new guest cart): no promise of its own.
    return work.length === 0 ? SETTLED : Promise.allSettled(work).then(() => undefined);
  }
}

/**
 * Limits on attempts whose outcome decides whether they count (sign-in, password checks,
 * registrations). begin() admits an attempt against every counter of the plan, each one atomically,
 * so an attempt holds its place while it runs and parallel requests cannot overshoot a limit; the
 * outcome then keeps or gives back those places. Over a limit: AttemptsExhausted (429).
 */
@Injectable()
export class AttemptLimiter {
  constructor(@Inject(ATTEMPT_COUNTERS) private readonly counters: AttemptCounters) {}

  /**
   * begin() without waiting, for a plan of one counter and no slowdown whose counters have a place
   * reserved in this process (ReservedAttemptCounters.takeReserved); undefined otherwise, with
   * nothing counted: call begin(). The guest-cart limit runs this on every new cart, where begin()'s
   * chain of awaits was a measurable share of the write.
   */
  beginReserved(plan: AttemptPlan): Attempt | undefined {
    if (plan.slowdown !== undefined || plan.counters.length !== 1) return undefined;
    const rule = plan.counters[0];
    return this.counters.takeReserved?.(rule.key, rule.limit, rule.windowMs) === true ? new Attempt(this.counters, plan) : undefined;
  }

  async begin(plan: AttemptPlan): Promise<Attempt> {
    const taken: CounterRule[] = [];
    for (const rule of plan.counters) {
      const result = await this.counters.take(rule.key, rule.limit, rule.windowMs);
      if (!result.allowed) {
        await Promise.allSettled(taken.map((r) => this.counters.release(r.key)));
        throw new AttemptsExhausted(result.retryAfterSeconds);
      }
      taken.push(rule);
    }
    const attempt = new Attempt(this.counters, plan);
    if (plan.slowdown) {
      const delay = await this.slowdownDelay(plan.slowdown);
      // Before the check itself, whatever its result: a right and a wrong password wait alike.
      if (delay > 0) await sleep(delay);
    }
    return attempt;
  }

  /** The wait before an attempt under this slowdown: 0 for a trusted pair or below the threshold. */
  async slowdownDelay({ key, after, maxDelayMs, trusted }: Slowdown): Promise<number> {
    if (maxDelayMs <= 0) return 0;
    const [failures, trust] = await Promise.all([this.counters.get(key), trusted ? this.counters.get(trusted.key) : 0]);
    return trust > 0 ? 0 : slowdownDelayMs(failures, after, maxDelayMs);
  }
}
