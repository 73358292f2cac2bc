import { resolve } from 'node:path';
import { ROOT } from './processes.js';

/**
 * Run settings shared by every benchmark.
 *
 * Short mode (`--quick` on the command line, or BENCH_QUICK=1 as `npm run bench:quick` sets it)
 * picks each benchmark's short durations and rounds and writes its results to bench/results/quick/
 * instead of bench/results/, so a quick run never replaces the figures of a full one.
 * BENCH_RESULTS_DIR overrides the directory; a variable named by a benchmark (BENCH_DURATION_MS,
 * BENCH_ROUNDS, ...) overrides the mode's value.
 */
export const QUICK = process.argv.includes('--quick') || ['1', 'true', 'yes'].includes((process.env.BENCH_QUICK ?? '').toLowerCase());
export const MODE: 'quick' | 'full' = QUICK ? 'quick' : 'full';

/** The value of `name` from the environment, else the mode's default. */
export function setting(name: string, full: number, quick: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return QUICK ? quick : full;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}=${raw}: expected a non-negative number`);
  return n;
}

export const RESULTS_DIR = resolve(ROOT, process.env.BENCH_RESULTS_DIR || (QUICK ? 'bench/results/quick' : 'bench/results'));

/** How much longer than MEMORY_RELEASE_IDLE_MS bench:http waits before reading the API's memory at the end. */
export const MEMORY_SETTLE_MARGIN_MS = 2_000;

/** bench/results[/quick]/<name>.json */
export const resultsFile = (name: string): string => resolve(RESULTS_DIR, `${name}.json`);

/**
 * Environment for an API a benchmark starts: the rate limits (apps/api/src/throttling, variables in
 * libs/common/src/config/env.schema.ts) in 1 s windows at the schema's largest limits, so neither
 * the global limit nor the login, registration and new-guest-cart limits (per client IP, per email) answer 429 at
 * the rates measured; every limiter still runs on every request. Password hashing keeps its
 * concurrency (PASSWORD_HASH_CONCURRENCY, what sign-in throughput is made of) but may wait for a
 * slot as long as the schema allows instead of answering 503 when the machine is slow. A variable
 * an API does not know is ignored by its config schema.
 */
export const RAISED_LIMITS: Readonly<Record<string, string>> = {
  THROTTLE_LIMIT: '1000000',
  THROTTLE_TTL_SECONDS: '1',
  LOGIN_THROTTLE_TTL_SECONDS: '1',
  LOGIN_THROTTLE_IP_LIMIT: '1000000',
  LOGIN_THROTTLE_EMAIL_LIMIT: '1000000',
  LOGIN_THROTTLE_EMAIL_DELAY_AFTER: '1000000',
  REGISTER_THROTTLE_TTL_SECONDS: '1',
  REGISTER_THROTTLE_IP_LIMIT: '1000000',
  CART_GUEST_THROTTLE_TTL_SECONDS: '1',
  CART_GUEST_THROTTLE_IP_LIMIT: '1000000',
  PASSWORD_HASH_MAX_WAIT_MS: '60000',
  ...extraApiEnv(),
};

/**
 * BENCH_API_ENV: more variables for the started API, `NAME=value` separated by spaces or commas
 * (e.g. a limit that a newer API reads under another name); they win over the values above.
 */
function extraApiEnv(): Record<string, string> {
  const pairs = (process.env.BENCH_API_ENV ?? '').split(/[\s,]+/).filter(Boolean);
  return Object.fromEntries(
    pairs.map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 1) throw new Error(`BENCH_API_ENV: expected NAME=value, got ${pair}`);
      return [pair.slice(0, eq), pair.slice(eq + 1)];
    }),
  );
}
