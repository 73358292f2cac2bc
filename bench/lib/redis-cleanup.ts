import { Redis } from 'ioredis';

/**
 * Removes a benchmark's keys: `patterns` on the main Redis (REDIS_URL) and, when the API caches on a
 * Redis of its own (REDIS_CACHE_URL), there too: a run leaves tens of thousands of cache entries.
 */
export async function removeBenchKeys(patterns: readonly string[]): Promise<void> {
  const urls = [process.env.REDIS_URL!, process.env.REDIS_CACHE_URL].filter((u): u is string => Boolean(u));
  for (const url of new Set(urls)) {
    const redis = new Redis(url);
    try {
      for (const pattern of patterns) {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
          cursor = next;
          if (keys.length) await redis.unlink(...keys);
        } while (cursor !== '0');
      }
    } finally {
      redis.disconnect();
    }
  }
}
