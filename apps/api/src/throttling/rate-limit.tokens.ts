/** The counters of the sign-in limits (AttemptCounters: Redis, in-process while Redis fails). */
export const ATTEMPT_COUNTERS = Symbol('ATTEMPT_COUNTERS');
