/** What callers pass as a cache key: one part or several (escaped and joined by KeyBuilder). */
export type CacheKey = string | number | readonly (string | number)[];
