import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import pg from 'pg';

// Jest loads this file outside its module mapper, so it imports nothing of ours: migrations run
// through the real CLI, exactly as in production.
const ROOT = resolve(__dirname, '../..');

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

function loadTestEnvDefaults(): void {
  for (const file of ['.env', '.env.example']) {
    const path = resolve(ROOT, file);
    if (existsSync(path)) process.loadEnvFile(path);
  }
}

/**
 * Isolates this run: its own database on the primary (streamed to the replica like any other)
 * and its own Redis key prefix. Workers inherit the environment set here.
 */
export default async function globalSetup(): Promise<void> {
  loadTestEnvDefaults();
  const runId = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  const database = `commerce_test_${runId}`;
  const basePrimary = process.env.DB_PRIMARY_URL!;
  const baseReplica = process.env.DB_REPLICA_URL ?? '';

  const admin = new pg.Client({ connectionString: withDatabase(basePrimary, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${database}`);
  } finally {
    await admin.end();
  }

  process.env.NODE_ENV = 'test';
  process.env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';
  process.env.TEST_RUN_ID = runId;
  process.env.TEST_DATABASE = database;
  process.env.TEST_BASE_PRIMARY_URL = basePrimary;
  process.env.DB_PRIMARY_URL = withDatabase(basePrimary, database);
  if (baseReplica) process.env.DB_REPLICA_URL = withDatabase(baseReplica, database);
  process.env.REDIS_KEY_PREFIX = `t${runId}`;
  // Cached values share the main Redis in tests (every suite inspects one server); the suite of the
  // cache's own server sets REDIS_CACHE_URL itself.
  process.env.REDIS_CACHE_URL = process.env.TEST_REDIS_CACHE_URL ?? '';
  // Workers started by tests serve no HTTP unless a test asks for a port.
  process.env.WORKER_PORT = '0';
  // Every suite shares one client IP (inject's 127.0.0.1) and one key prefix: the guest-cart limit
  // per IP, and the default limit per route and IP (300 a minute, whose block then holds the route
  // for a minute for every suite), would otherwise be used up by whichever suites run first. The
  // specs of these limits set them low for themselves (and mostly use IPs of their own).
  process.env.CART_GUEST_THROTTLE_IP_LIMIT = '1000000';
  process.env.THROTTLE_LIMIT = '1000000';

  execFileSync(process.execPath, ['--import', 'tsx', resolve(ROOT, 'libs/database/src/cli/migrate.ts')], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (baseReplica) await waitForReplica(process.env.DB_REPLICA_URL!);
}

// The new database reaches the replica through WAL replay; tests must not start before it does.
async function waitForReplica(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      const { rows } = await client.query(`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname IN ('identity', 'catalog', 'orders')`);
      if (rows[0].n === 3) return;
    } catch {
      // not there yet
    } finally {
      await client.end().catch(() => undefined);
    }
    if (Date.now() > deadline) throw new Error(`replica did not receive the test database within 30 s (${url})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
