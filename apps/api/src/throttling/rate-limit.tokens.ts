/** The configured throttlers (ThrottlerOptions[]). */
export const RATE_LIMITS = Symbol('RATE_LIMITS');
/** The shared Redis ThrottlerStorage. */
export const RATE_LIMIT_STORAGE = Symbol('RATE_LIMIT_STORAGE');
