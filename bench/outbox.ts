/**
 * Outbox benchmark: `npm run bench:outbox` (builds dist when missing; needs the local services).
 *
 * In a database and Redis prefix of its own, starts one built worker and measures, end to end
 * (commit of an outbox event → its effect applied: the bestsellers handler's inbox row committed,
 * both timestamps taken by Postgres):
 *   - steady stream: events committed one by one at a fixed rate, p50/p99 delay, once with a NOTIFY
 *     in each transaction (as the application writes them) and once without (the relay finds them by
 *     polling only, every OUTBOX_POLL_INTERVAL_MS);
 *   - burst: N events committed at once, events per second until all are applied.
 * Prints the ratio of the p50 delays (polling / NOTIFY) and writes bench/results/outbox.json.
 * BENCH_EVENTS (burst size), BENCH_RATE (events/s of the stream), BENCH_STREAM_MS change the run;
 * --quick (or BENCH_QUICK=1) streams 2 s each and bursts 500 events, results in bench/results/quick/.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import pg from 'pg';
import { createBenchStack, writeResults } from './lib/bench-stack.js';
import { freePort, loadEnvDefaults, percentile, ROOT, start, stop, waitHttp } from './lib/processes.js';
import { resultsFile, setting } from './lib/settings.js';

loadEnvDefaults();
const BURST = setting('BENCH_EVENTS', 5_000, 500);
const RATE = setting('BENCH_RATE', 200, 200);
const STREAM_MS = setting('BENCH_STREAM_MS', 5_000, 2_000);
const POLL_MS = 1_000;
const PRODUCTS = 50;
const RESULTS = resultsFile('outbox');

const EVENT_SQL = (notify: boolean): string =>
  `WITH e AS (INSERT INTO outbox.events (event_type, payload) VALUES ('order.placed', $1::jsonb) RETURNING event_id)
   SELECT e.event_id${notify ? `, pg_notify('outbox_events', '')` : ''} FROM e`;

function payload(products: readonly string[]): string {
  return JSON.stringify({
    orderId: randomUUID(),
    userId: randomUUID(),
    items: [{ productId: products[(Math.random() * products.length) | 0], quantity: 1 }],
  });
}

/** Waits until every event id has its inbox row; the commit → applied delays in ms. */
async function delaysOf(db: pg.Client, ids: readonly string[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await db.query(
      `SELECT EXTRACT(EPOCH FROM (i.applied_at - e.created_at)) * 1000 AS ms FROM outbox.events e
         JOIN outbox.inbox i ON i.event_id = e.event_id::text AND i.handler = 'catalog.bestsellers' WHERE e.event_id = ANY($1::uuid[])`,
      [ids],
    );
    if (rows.length === ids.length) return rows.map((r: { ms: string }) => Number(r.ms));
    if (Date.now() > deadline) throw new Error(`only ${rows.length} of ${ids.length} events applied after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stream(
  pool: pg.Pool,
  db: pg.Client,
  products: readonly string[],
  notify: boolean,
): Promise<{ events: number; p50Ms: number; p99Ms: number }> {
  const ids: string[] = [];
  const interval = 1000 / RATE;
  const started = performance.now();
  for (let i = 0; performance.now() - started < STREAM_MS; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const { rows } = await pool.query(EVENT_SQL(notify), [payload(products)]);
    ids.push(rows[0].event_id as string);
  }
  const delays = await delaysOf(db, ids, 60_000);
  return { events: ids.length, p50Ms: percentile(delays, 50), p99Ms: percentile(delays, 99) };
}

async function burst(
  pool: pg.Pool,
  db: pg.Client,
  products: readonly string[],
): Promise<{ events: number; eventsPerSecond: number; p50Ms: number; p99Ms: number }> {
  // One transaction, one NOTIFY: BURST events become visible at the same instant.
  const c = await pool.connect();
  let ids: string[];
  try {
    const { rows } = await c.query(
      `WITH e AS (
         INSERT INTO outbox.events (event_type, payload)
         SELECT 'order.placed', jsonb_build_object('orderId', gen_random_uuid(), 'userId', gen_random_uuid(),
                'items', jsonb_build_array(jsonb_build_object('productId', ($1::uuid[])[1 + (g % $2)], 'quantity', 1)))
         FROM generate_series(1, $3) g RETURNING event_id)
       SELECT event_id, pg_notify('outbox_events', '') FROM e`,
      [products, products.length, BURST],
    );
    ids = rows.map((r: { event_id: string }) => r.event_id);
  } finally {
    c.release();
  }
  const delays = await delaysOf(db, ids, 300_000);
  const elapsed = Math.max(...delays);
  return {
    events: ids.length,
    eventsPerSecond: (ids.length / elapsed) * 1000,
    p50Ms: percentile(delays, 50),
    p99Ms: percentile(delays, 99),
  };
}

async function main(): Promise<void> {
  const stack = await createBenchStack({ OUTBOX_POLL_INTERVAL_MS: String(POLL_MS), CACHE_WARM_PRODUCTS: '0' });
  const { env } = stack;
  const pool = new pg.Pool({ connectionString: env.DB_PRIMARY_URL, max: 4 });
  const db = new pg.Client({ connectionString: env.DB_PRIMARY_URL });
  let worker: ReturnType<typeof start> | undefined;
  try {
    await db.connect();
    const products = Array.from({ length: PRODUCTS }, () => randomUUID());
    const port = await freePort();
    worker = start(process.execPath, [resolve(ROOT, 'dist/apps/worker/src/main.js')], {
      ...env,
      WORKER_PORT: String(port),
      WORKER_HOST: '127.0.0.1',
    });
    await waitHttp(port, '/health', worker);

    console.log(`stream: ${RATE} events/s for ${STREAM_MS} ms, with NOTIFY, then polling only (every ${POLL_MS} ms)`);
    const notified = await stream(pool, db, products, true);
    const polled = await stream(pool, db, products, false);
    console.log(`burst: ${BURST} events committed at once`);
    const burstRun = await burst(pool, db, products);
    const { rows } = await db.query('SELECT sum(units)::bigint AS units FROM catalog.product_sales');
    const applied = Number(rows[0].units);
    const expected = notified.events + polled.events + burstRun.events;

    const ratio = polled.p50Ms / notified.p50Ms;
    console.log('\n| run | events | events/s | p50 commit → effect ms | p99 ms |\n| --- | ---: | ---: | ---: | ---: |');
    console.log(
      `| stream, LISTEN/NOTIFY | ${notified.events} | ${RATE} (offered) | ${notified.p50Ms.toFixed(1)} | ${notified.p99Ms.toFixed(1)} |`,
    );
    console.log(
      `| stream, polling only | ${polled.events} | ${RATE} (offered) | ${polled.p50Ms.toFixed(1)} | ${polled.p99Ms.toFixed(1)} |`,
    );
    console.log(
      `| burst | ${burstRun.events} | ${burstRun.eventsPerSecond.toFixed(0)} | ${burstRun.p50Ms.toFixed(0)} | ${burstRun.p99Ms.toFixed(0)} |`,
    );
    console.log(
      `\npolling only / NOTIFY, p50 delay: ${ratio.toFixed(1)}×; units applied ${applied} of ${expected} events (each exactly once: ${applied === expected ? 'yes' : 'NO'})`,
    );
    writeResults(RESULTS, {
      pollIntervalMs: POLL_MS,
      streamRate: RATE,
      notify: { events: notified.events, p50Ms: round(notified.p50Ms), p99Ms: round(notified.p99Ms) },
      pollingOnly: { events: polled.events, p50Ms: round(polled.p50Ms), p99Ms: round(polled.p99Ms) },
      burst: {
        events: burstRun.events,
        eventsPerSecond: Math.round(burstRun.eventsPerSecond),
        p50Ms: round(burstRun.p50Ms),
        p99Ms: round(burstRun.p99Ms),
      },
      pollingToNotifyP50: round(ratio),
      exactlyOnce: applied === expected,
    });
    if (applied !== expected) process.exitCode = 1;
  } finally {
    if (worker) await stop(worker.child);
    await db.end().catch(() => undefined);
    await pool.end();
    await stack.cleanup();
  }
}

const round = (n: number): number => Math.round(n * 10) / 10;

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
