import { Redis } from 'ioredis';
import pg from 'pg';

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

// Jest loads this file outside its module mapper (like global-setup), so it imports nothing of
// ours: the SCAN-and-unlink loop of test/support/redis-keys.ts is repeated here.
async function unlinkMatching(redis: Redis, patterns: readonly string[]): Promise<void> {
  for (const pattern of patterns) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  }
}

/**
 * Drops exactly what this run created: its database and its Redis keys (the run prefix is unique,
 * and suites that need a private keyspace extend it, e.g. `${prefix}c`).
 */
export default async function globalTeardown(): Promise<void> {
  const database = process.env.TEST_DATABASE;
  if (database?.startsWith('commerce_test_') && process.env.TEST_BASE_PRIMARY_URL && !process.env.KEEP_TEST_DATA) {
    const admin = new pg.Client({ connectionString: withDatabase(process.env.TEST_BASE_PRIMARY_URL, 'postgres') });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }
  const prefix = process.env.REDIS_KEY_PREFIX;
  if (prefix?.startsWith('t') && process.env.REDIS_URL) {
    const redis = new Redis(process.env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      // The app's keys, and the job queues' (`{<prefix>:bull}:...`, braced for cluster slots).
      await unlinkMatching(redis, [`${prefix}*`, `{${prefix}*`]);
    } catch {
      // Redis may be down after an outage test; nothing of ours is left to clean then.
    } finally {
      redis.disconnect();
    }
  }
}
