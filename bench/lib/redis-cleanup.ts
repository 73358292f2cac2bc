import { Redis } from 'ioredis';
import { unlinkMatching } from '../../test/support/redis-keys.js';

/**
 * Removes a benchmark's keys: `patterns` on the main Redis (REDIS_URL) and, when the API caches on a
 * Redis of its own (REDIS_CACHE_URL), there too: a run leaves tens of thousands of cache entries.
 */
export async function removeBenchKeys(patterns: readonly string[]): Promise<void> {
  const urls = [process.env.REDIS_URL!, process.env.REDIS_CACHE_URL].filter((u): u is string => Boolean(u));
  for (const url of new Set(urls)) {
    const redis = new Redis(url);
    try {
      await unlinkMatching(redis, patterns);
    } finally {
      redis.disconnect();
    }
  }
}
