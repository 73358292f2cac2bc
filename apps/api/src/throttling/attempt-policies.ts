import { createHash } from 'node:crypto';
import { ConflictError, UnauthenticatedError, type AppConfig } from '@app/common';
import { IncorrectPasswordError, normalizeEmail } from '@app/identity';
import type { AttemptOutcome, AttemptPlan } from './attempt-limiter.service.js';

export type AttemptPolicyName = 'login' | 'register' | 'password-change';

/** What a policy may look at: the raw request (policies run before validation). */
export interface AttemptFacts {
  ip: string;
  body: unknown;
  userId?: string;
}

export interface AttemptPolicy {
  /** The counters this request must pass, or null when the policy does not apply to it. */
  plan(config: AppConfig, facts: AttemptFacts): AttemptPlan | null;
  /** How a failed request ended (a request that returned is a success). */
  outcomeOf(error: unknown): Exclude<AttemptOutcome, 'success'>;
}

/** The per-email tracker: a digest, so no address is written into Redis keys. */
export function emailTrackerKey(email: string): string {
  return createHash('sha256').update(normalizeEmail(email)).digest('base64url');
}

function field(body: unknown, name: string): unknown {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
}

function bodyEmail(body: unknown): string | undefined {
  const email = field(body, 'email');
  return typeof email === 'string' && email.trim() ? email : undefined;
}

/** How long a successful sign-in exempts its (email, IP) pair from the email's slowdown. */
const TRUST_KNOWN_PAIR_MS = 30 * 24 * 3600 * 1000;

/**
 * Sign-in, as OWASP recommends: failures per (email, IP) and per IP refuse further attempts (429);
 * failures of an email from all IPs only slow it down, so nobody can lock an owner out by failing
 * with their address, and an (email, IP) pair that signed in successfully before is not even slowed.
 * Successes do not count, and one clears its (email, IP) failures.
 */
const login: AttemptPolicy = {
  plan(config, { ip, body }) {
    const { ttlSeconds, ipLimit, emailLimit, emailDelayAfter, maxDelayMs } = config.loginThrottle;
    const windowMs = ttlSeconds * 1000;
    const plan: AttemptPlan = { counters: [{ key: `login-ip:${ip}`, limit: ipLimit, windowMs, onSuccess: 'release' }] };
    const email = bodyEmail(body);
    if (email === undefined) return plan; // not even a login attempt: validation answers 400
    const tracker = emailTrackerKey(email);
    plan.counters.push({ key: `login-email-ip:${tracker}:${ip}`, limit: emailLimit, windowMs, onSuccess: 'reset' });
    plan.slowdown = {
      key: `login-email:${tracker}`,
      windowMs,
      after: emailDelayAfter,
      maxDelayMs,
      trusted: { key: `login-known:${tracker}:${ip}`, trustMs: TRUST_KNOWN_PAIR_MS },
    };
    return plan;
  },
  outcomeOf: (error) => (error instanceof UnauthenticatedError ? 'failure' : 'void'),
};

/** Registrations per IP: every one that gets as far as the email check counts (a new account costs a hash). */
const register: AttemptPolicy = {
  plan(config, { ip }) {
    const { ttlSeconds, ipLimit } = config.registerThrottle;
    return { counters: [{ key: `register-ip:${ip}`, limit: ipLimit, windowMs: ttlSeconds * 1000, onSuccess: 'keep' }] };
  },
  outcomeOf: (error) => (error instanceof ConflictError ? 'failure' : 'void'),
};

/**
 * Password changes (a body with `password` or `currentPassword`): wrong current passwords per user
 * (a right one clears them) and attempts per IP. Without these the route is a password oracle for
 * anyone holding an access token, and a way to make the server hash at will.
 */
const passwordChange: AttemptPolicy = {
  plan(config, { ip, body, userId }) {
    if (userId === undefined || (field(body, 'password') === undefined && field(body, 'currentPassword') === undefined)) return null;
    const { ttlSeconds, userLimit, ipLimit } = config.passwordCheckThrottle;
    const windowMs = ttlSeconds * 1000;
    return {
      counters: [
        { key: `password-user:${userId}`, limit: userLimit, windowMs, onSuccess: 'reset' },
        { key: `password-ip:${ip}`, limit: ipLimit, windowMs, onSuccess: 'keep' },
      ],
    };
  },
  outcomeOf: (error) => (error instanceof IncorrectPasswordError ? 'failure' : 'void'),
};

export const ATTEMPT_POLICIES: Readonly<Record<AttemptPolicyName, AttemptPolicy>> = { login, register, 'password-change': passwordChange };
