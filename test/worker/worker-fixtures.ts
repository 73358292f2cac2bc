import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { buildDataSourceOptions, initializeDataSource, runMigrations } from '@app/database';
import { WorkerModule } from '../../apps/worker/src/worker.module.js';
import { bearer } from '../support/auth.js';
import { testConfig } from '../support/test-app.js';
import { withDatabase } from '../support/test-env.js';
import { unlinkMatching } from '../support/redis-keys.js';

/**
 * Worker suites that need exact figures (counts of relays, failed jobs, pending events) or that
 * disturb the workers (SIGKILL, Redis cut, table locks) run on a database and a Redis keyspace of
 * their own: their workers relay only this suite's outbox, and nothing they break (a job stranded
 * in a killed worker, a locked table, a deleted ranking) reaches the suites running next to them.
 */
export interface IsolatedRun {
  /** The suite's database (`<run database>_<tag>`), migrated, on the primary and the replica. */
  database: string;
  /** The suite's Redis key prefix (`<run prefix>_<tag>`). */
  prefix: string;
  /** Overrides for testConfig / createTestApp / spawnNode: database URLs and key prefix. */
  env: Record<string, string>;
  /** A pg pool on the suite's primary database. */
  db: pg.Pool;
  /** Ends the pool, drops the database and removes the keyspace (queues included). */
  drop(): Promise<void>;
}

export const RUN_PREFIX = process.env.REDIS_KEY_PREFIX!;

/**
 * Timeout of a beforeAll that calls isolatedRun: 45 s of replay, up to a minute of it paused by
 * another suite, and the suite's own setup.
 */
export const ISOLATED_RUN_TIMEOUT_MS = 180_000;

export async function isolatedRun(tag: string): Promise<IsolatedRun> {
  const database = `${process.env.TEST_DATABASE}_${tag}`;
  const prefix = `${RUN_PREFIX}_${tag}`;
  const base = process.env.TEST_BASE_PRIMARY_URL ?? process.env.DB_PRIMARY_URL!;
  const admin = new pg.Client({ connectionString: withDatabase(base, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${database}`);
  } finally {
    await admin.end();
  }
  const env: Record<string, string> = {
    DB_PRIMARY_URL: withDatabase(process.env.DB_PRIMARY_URL!, database),
    DB_REPLICA_URL: process.env.DB_REPLICA_URL ? withDatabase(process.env.DB_REPLICA_URL, database) : '',
    REDIS_KEY_PREFIX: prefix,
  };
  const dataSource = await initializeDataSource(
    buildDataSourceOptions({ ...testConfig(env).database, replicaUrl: null }, { applicationName: 'worker-tests-migrate' }),
  );
  try {
    await runMigrations(dataSource);
  } finally {
    await dataSource.destroy();
  }
  if (env.DB_REPLICA_URL) await waitForReplica(env.DB_REPLICA_URL);
  const db = new pg.Pool({ connectionString: env.DB_PRIMARY_URL, max: 4, application_name: 'worker-tests' });
  db.on('error', () => undefined);
  let dropped = false;
  return {
    database,
    prefix,
    env,
    db,
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await db.end().catch(() => undefined);
      const client = new pg.Client({ connectionString: withDatabase(base, 'postgres') });
      await client.connect();
      try {
        if (!process.env.KEEP_TEST_DATA) await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      } finally {
        await client.end();
      }
      await removeKeyspace(prefix);
    },
  };
}

/**
 * The new database reaches the replica through WAL replay (as in the global setup): up to 45 s of
 * replay (on a loaded machine, with the whole suite in parallel, it once took longer than 30 s).
 * Time while replay is paused does not count: a catalog suite pauses it on purpose (see
 * test/catalog/replay-control.ts) for as long as its writes take, and the database cannot arrive
 * meanwhile. The hooks that call this allow for both (ISOLATED_RUN_TIMEOUT_MS).
 */
async function waitForReplica(url: string): Promise<void> {
  let left = 45_000;
  let last = Date.now();
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      const { rows } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'catalog' AND tablename = 'product_sales'`,
      );
      if (rows[0].n === 1) return;
    } catch {
      // not there yet
    } finally {
      await client.end().catch(() => undefined);
    }
    const now = Date.now();
    if (!(await replayPaused(url))) left -= now - last;
    last = now;
    if (left <= 0) throw new Error(`replica did not receive ${url} within 45 s of replay`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Whether the replica of `url` has its WAL replay paused now (false when that cannot be told). */
async function replayPaused(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: withDatabase(url, 'postgres') });
  try {
    await client.connect();
    const { rows } = await client.query<{ paused: boolean }>('SELECT pg_is_wal_replay_paused() AS paused');
    return rows[0].paused;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Removes a private keyspace: the cache keys (`<prefix>:…`) and the BullMQ queues
 * (`{<prefix>:bull}:…`, which the global teardown's `<run prefix>*` pattern does not match).
 */
export async function removeKeyspace(prefix: string): Promise<void> {
  if (!prefix.startsWith(`${RUN_PREFIX}_`)) throw new Error(`refusing to remove keyspace ${prefix}: not a private keyspace of this run`);
  const redis = new Redis(process.env.REDIS_URL!, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await unlinkMatching(redis, [`${prefix}:*`, `{${prefix}:bull}:*`]);
  } catch {
    // best effort
  } finally {
    redis.disconnect();
  }
}

/** A worker (standalone Nest context, as main.ts builds it) with the run's env plus overrides. */
export async function startWorker(overrides: Record<string, string>): Promise<INestApplicationContext> {
  const worker = await NestFactory.createApplicationContext(WorkerModule.forRoot(testConfig(overrides)), { logger: false });
  await worker.init();
  return worker;
}

/** Polls `probe` until it returns something truthy; `describe` adds the last state to the timeout error. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  ms = 15_000,
  describe?: () => Promise<string>,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${describe ? `: ${await describe()}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Units sold per product in the durable totals (catalog.product_sales); absent products are 0. */
export async function unitsOf(db: pg.Pool, productIds: readonly string[]): Promise<Map<string, number>> {
  const { rows } = await db.query<{ product_id: string; units: string }>(
    'SELECT product_id, units FROM catalog.product_sales WHERE product_id = ANY($1::uuid[])',
    [productIds],
  );
  const units = new Map(productIds.map((id) => [id, 0]));
  for (const r of rows) units.set(r.product_id, Number(r.units));
  return units;
}

/** Inbox rows of the bestsellers handler for these event ids. */
export async function inboxCount(db: pg.Pool, eventIds: readonly string[]): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM outbox.inbox WHERE handler = 'catalog.bestsellers' AND event_id = ANY($1::text[])`,
    [eventIds],
  );
  return rows[0].n;
}

/** Events of these ids not relayed yet. */
export async function pendingCount(db: pg.Pool, eventIds: readonly string[]): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM outbox.events WHERE relayed_at IS NULL AND event_id = ANY($1::uuid[])',
    [eventIds],
  );
  return rows[0].n;
}

/** The outbox event ids of the given type written for these orders (payload.orderId). */
export async function eventIdsOfOrders(db: pg.Pool, type: string, orderIds: readonly string[]): Promise<string[]> {
  const { rows } = await db.query<{ event_id: string }>(
    `SELECT event_id FROM outbox.events WHERE event_type = $1 AND payload->>'orderId' = ANY($2::text[])`,
    [type, orderIds],
  );
  return rows.map((r) => r.event_id);
}

/** `name{labels} value` of one sample in Prometheus text (undefined when absent). */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (wanted.every(([k, v]) => have.get(k) === v)) return Number(m[3]);
  }
  return undefined;
}

export interface PlacedOrder {
  id: string;
  status: string;
  items: { productId: string; quantity: number }[];
}

export const newKey = (): string => `worker-${randomUUID()}`;

/** POST /api/v1/orders with its own Idempotency-Key; must answer 201. */
export async function placeOrder(
  app: NestFastifyApplication,
  token: string,
  items: { productId: string; quantity: number }[],
  key = newKey(),
): Promise<PlacedOrder> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/orders',
    headers: { ...bearer(token), 'idempotency-key': key },
    payload: { items },
  });
  if (res.statusCode !== 201) throw new Error(`placeOrder: expected 201, got ${res.statusCode}: ${res.body}`);
  return res.json();
}

/** POST /api/v1/orders/:id/cancel; must answer 200. */
export async function cancelOrder(app: NestFastifyApplication, token: string, id: string): Promise<void> {
  const res = await app.inject({ method: 'POST', url: `/api/v1/orders/${id}/cancel`, headers: bearer(token) });
  if (res.statusCode !== 200) throw new Error(`cancelOrder: expected 200, got ${res.statusCode}: ${res.body}`);
}
