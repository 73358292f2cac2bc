import type { Redis } from 'ioredis';

/** Unlinks every key matching one of `patterns` (SCAN, never KEYS): the cleanup of test runs and benchmarks. */
export async function unlinkMatching(redis: Redis, patterns: readonly string[]): Promise<void> {
  for (const pattern of patterns) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  }
}
