/** The configured throttlers (ThrottlerOptions[]). */
export const RATE_LIMITS = Symbol('RATE_LIMITS');
/** The shared Redis ThrottlerStorage. */
export const RATE_LIMIT_STORAGE = Symbol('RATE_LIMIT_STORAGE');
/** The counters of the sign-in limits (AttemptCounters: Redis, in-process while Redis fails). */
export const ATTEMPT_COUNTERS = Symbol('ATTEMPT_COUNTERS');
