/**
 * Orders benchmark: `npm run bench:orders` (builds dist when missing; needs the local services).
 *
 * In a database and Redis prefix of its own, starts the built API (production settings, access
 * log at warn, rate limits out of the way), creates 100 products and 32 buyers, then measures in
 * one run:
 *   1. checkouts/s through the API at 32 concurrent buyers over 100 products (each a new
 *      Idempotency-Key), against the reference: the same transaction (claim the key, guarded stock
 *      update, order, line, history entry, outbox event, stored answer) sent by a plain `pg` pool of
 *      32 clients, one round trip per statement;
 *   2. idempotent replays/s (the same key and body again and again) against a cached product GET;
 *   3. oversell: 500 concurrent single-unit checkouts for a product with 50 in stock (200 for 20 in
 *      short mode; BENCH_OVERSELL_ATTEMPTS, BENCH_OVERSELL_STOCK), and for every
 *      product the units sold against the stock taken; both must be 0.
 * Prints ratios and writes bench/results/orders.json. BENCH_DURATION_MS / BENCH_WARMUP_MS / BENCH_ROUNDS /
 * BENCH_CONNECTIONS change the run; --quick (or BENCH_QUICK=1) runs one short round and writes to
 * bench/results/quick/.
 */
import { createHash, randomUUID } from 'node:crypto';
import pg from 'pg';
import { createBenchStack, writeResults } from './lib/bench-stack.js';
import { closedLoop, runLoad, summarize } from './lib/http-load.js';
import { cpuMs, freePort, loadEnvDefaults, percentile, API_BUNDLE, start, stop, waitHttp } from './lib/processes.js';
import { RAISED_LIMITS, resultsFile, setting } from './lib/settings.js';

loadEnvDefaults();
const DURATION_MS = setting('BENCH_DURATION_MS', 5_000, 1_500);
const WARMUP_MS = setting('BENCH_WARMUP_MS', 1_500, 500);
const ROUNDS = setting('BENCH_ROUNDS', 2, 1);
const CONNECTIONS = setting('BENCH_CONNECTIONS', 32, 32);
const PRODUCTS = 100;
const OVERSELL_ATTEMPTS = setting('BENCH_OVERSELL_ATTEMPTS', 500, 200);
const OVERSELL_STOCK = setting('BENCH_OVERSELL_STOCK', 50, 20);
const RESULTS = resultsFile('orders');

interface Api {
  port: number;
  json<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T }>;
}

function client(port: number): Api {
  return {
    port,
    async json<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
    },
  };
}

async function register(api: Api): Promise<{ id: string; token: string; refresh: string }> {
  const res = await api.json<{ user: { id: string }; accessToken: string; refreshToken: string }>('POST', '/api/v1/auth/register', {
    email: `bench-${randomUUID()}@example.com`,
    password: `pw-${randomUUID()}`,
    name: 'Bench Buyer',
  });
  if (res.status !== 201) throw new Error(`register: ${res.status}`);
  return { id: res.body.user.id, token: res.body.accessToken, refresh: res.body.refreshToken };
}

/** The API's checkout transaction, statement for statement, from a plain pg pool (the reference). */
async function rawCheckout(pool: pg.Pool, userId: string, productId: string): Promise<void> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const key = randomUUID();
    await c.query(
      'INSERT INTO orders.idempotency_keys (user_id, key, fingerprint) VALUES ($1, $2, $3) ON CONFLICT (user_id, key) DO NOTHING RETURNING 1',
      [userId, key, 'f'],
    );
    const taken = await c.query(
      `UPDATE catalog.products SET stock = stock - 1, updated_at = now() WHERE id = $1 AND deleted_at IS NULL AND stock >= 1 RETURNING sku, name, price_cents, currency, stock`,
      [productId],
    );
    const p = taken.rows[0];
    const id = randomUUID();
    const at = new Date().toISOString();
    const hash = createHash('sha256').update(`${id}${at}`).digest('hex');
    await c.query(
      `INSERT INTO orders.orders (id, user_id, status, total_cents, currency, history_head, created_at, updated_at) VALUES ($1, $2, 'placed', $3, $4, $5, $6, $6)`,
      [id, userId, p.price_cents, p.currency, hash, at],
    );
    await c.query(
      `INSERT INTO orders.order_lines (order_id, line_no, product_id, sku, name, unit_price_cents, quantity, line_total_cents) VALUES ($1, 1, $2, $3, $4, $5::int, 1, $5::bigint)`,
      [id, productId, p.sku, p.name, p.price_cents],
    );
    await c.query(
      `INSERT INTO orders.history (order_id, seq, at, from_status, to_status, actor, prev_hash, hash) VALUES ($1, 1, $2, NULL, 'placed', $3, $4, $5)`,
      [id, at, `customer:${userId}`, '0'.repeat(64), hash],
    );
    await c.query(
      `WITH e AS (INSERT INTO outbox.events (event_type, payload) VALUES ('order.placed', $1::jsonb) RETURNING event_id) SELECT pg_notify('outbox_events', '') FROM e`,
      [JSON.stringify({ orderId: id, userId, items: [{ productId, quantity: 1 }] })],
    );
    await c.query('UPDATE orders.idempotency_keys SET order_id = $3, status_code = 201, body = $4 WHERE user_id = $1 AND key = $2', [
      userId,
      key,
      id,
      JSON.stringify({ id }),
    ]);
    await c.query('COMMIT');
  } catch (error) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    c.release();
  }
}

async function rawRate(
  pool: pg.Pool,
  buyers: string[],
  products: string[],
  ms: number,
): Promise<{ rps: number; p50Ms: number; p99Ms: number }> {
  const latencies: number[] = [];
  const started = performance.now();
  const end = started + ms;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, i) => {
      while (performance.now() < end) {
        const t = performance.now();
        await rawCheckout(pool, buyers[i % buyers.length], products[(Math.random() * products.length) | 0]);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return {
    rps: (latencies.length / (performance.now() - started)) * 1000,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

function checkoutRequest(port: number, token: string, key: string, productId: string): Buffer {
  const body = JSON.stringify({ items: [{ productId, quantity: 1 }] });
  return Buffer.from(
    `POST /api/v1/orders HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nconnection: keep-alive\r\nauthorization: Bearer ${token}\r\nidempotency-key: ${key}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

async function main(): Promise<void> {
  const stack = await createBenchStack({ ...RAISED_LIMITS, DB_POOL_SIZE: '20' });
  const { env, id } = stack;
  const pool = new pg.Pool({ connectionString: env.DB_PRIMARY_URL, max: CONNECTIONS });
  let apiProc: ReturnType<typeof start> | undefined;
  try {
    const port = await freePort();
    apiProc = start(process.execPath, [API_BUNDLE], { ...env, PORT: String(port), HOST: '127.0.0.1' });
    await waitHttp(port, '/health/live', apiProc);
    const api = client(port);

    const boss = await register(api);
    await pool.query(`UPDATE identity.users SET role = 'admin' WHERE id = $1`, [boss.id]);
    const adminToken = (await api.json<{ accessToken: string }>('POST', '/api/v1/auth/refresh', { refreshToken: boss.refresh })).body
      .accessToken;
    const auth = { authorization: `Bearer ${adminToken}` };
    const category = await api.json<{ id: string }>('POST', '/api/v1/categories', { name: 'Bench', slug: `bench-${id}` }, auth);
    const products: string[] = [];
    for (let i = 0; i < PRODUCTS; i++) {
      const p = await api.json<{ id: string }>(
        'POST',
        '/api/v1/products',
        { sku: `B-${id}-${i}`, name: `Bench ${i}`, priceCents: 100 + i, stock: 1_000_000_000, categoryId: category.body.id },
        auth,
      );
      products.push(p.body.id);
    }
    const buyers = await Promise.all(Array.from({ length: CONNECTIONS }, () => register(api)));
    const stockBefore = new Map<string, number>(
      (await pool.query('SELECT id, stock FROM catalog.products')).rows.map((r: { id: string; stock: number }) => [r.id, r.stock]),
    );

    // 1. checkouts through the API vs the same transaction from plain pg, alternating, best of ROUNDS
    console.log(`checkouts: ${CONNECTIONS} buyers over ${PRODUCTS} products, ${DURATION_MS} ms per run`);
    const apiRuns: { rps: number; p50Ms: number; p99Ms: number; cpuUsPerCheckout: number; non201: number }[] = [];
    const rawRuns: { rps: number; p50Ms: number; p99Ms: number }[] = [];
    const checkoutLoad = (ms: number) =>
      closedLoop({
        port,
        connections: CONNECTIONS,
        durationMs: ms,
        request: () =>
          checkoutRequest(
            port,
            buyers[(Math.random() * buyers.length) | 0].token,
            randomUUID(),
            products[(Math.random() * products.length) | 0],
          ),
      });
    await checkoutLoad(WARMUP_MS);
    await rawRate(
      pool,
      buyers.map((b) => b.id),
      products,
      WARMUP_MS,
    );
    for (let round = 0; round < ROUNDS; round++) {
      const before = cpuMs(apiProc.child.pid!);
      const run = await checkoutLoad(DURATION_MS);
      const s = summarize(run);
      const non201 = Object.entries(run.byStatus)
        .filter(([st]) => st !== '201')
        .reduce((a, [, n]) => a + n, 0);
      apiRuns.push({
        rps: s.rps,
        p50Ms: s.p50Ms,
        p99Ms: s.p99Ms,
        cpuUsPerCheckout: ((cpuMs(apiProc.child.pid!) - before) * 1000) / Math.max(1, s.requests),
        non201,
      });
      rawRuns.push(
        await rawRate(
          pool,
          buyers.map((b) => b.id),
          products,
          DURATION_MS,
        ),
      );
      console.log(
        `  round ${round + 1}: API ${s.rps.toFixed(0)}/s (p99 ${s.p99Ms.toFixed(1)} ms, ${non201} non-201)  raw pg ${rawRuns.at(-1)!.rps.toFixed(0)}/s`,
      );
    }
    const bestApi = apiRuns.reduce((a, b) => (b.rps > a.rps ? b : a));
    const bestRaw = rawRuns.reduce((a, b) => (b.rps > a.rps ? b : a));

    // 2. idempotent replays vs a cached product GET
    const replayKey = randomUUID();
    const first = await api.json(
      'POST',
      '/api/v1/orders',
      { items: [{ productId: products[0], quantity: 1 }] },
      { authorization: `Bearer ${buyers[0].token}`, 'idempotency-key': replayKey },
    );
    if (first.status !== 201) throw new Error(`replay setup: ${first.status}`);
    const replay = await runLoad({
      port,
      method: 'POST',
      path: '/api/v1/orders',
      headers: { authorization: `Bearer ${buyers[0].token}`, 'idempotency-key': replayKey },
      body: { items: [{ productId: products[0], quantity: 1 }] },
      connections: CONNECTIONS,
      durationMs: DURATION_MS,
      warmupMs: WARMUP_MS,
    });
    const productGet = await runLoad({
      port,
      method: 'GET',
      path: `/api/v1/products/${products[1]}`,
      connections: CONNECTIONS,
      durationMs: DURATION_MS,
      warmupMs: WARMUP_MS,
    });
    if (Object.keys(replay.non2xx).length) throw new Error(`replays answered ${JSON.stringify(replay.non2xx)}`);

    // 3. oversell: OVERSELL_ATTEMPTS concurrent single-unit checkouts for OVERSELL_STOCK units
    const scarce = (
      await api.json<{ id: string }>(
        'POST',
        '/api/v1/products',
        { sku: `B-${id}-scarce`, name: 'Scarce', priceCents: 999, stock: OVERSELL_STOCK, categoryId: category.body.id },
        auth,
      )
    ).body.id;
    const storm = await Promise.all(
      Array.from({ length: OVERSELL_ATTEMPTS }, (_, i) =>
        api.json(
          'POST',
          '/api/v1/orders',
          { items: [{ productId: scarce, quantity: 1 }] },
          { authorization: `Bearer ${buyers[i % buyers.length].token}`, 'idempotency-key': randomUUID() },
        ),
      ),
    );
    const created = storm.filter((r) => r.status === 201).length;
    const scarceStock = (await pool.query('SELECT stock FROM catalog.products WHERE id = $1', [scarce])).rows[0].stock as number;
    const sold = new Map<string, number>(
      (await pool.query('SELECT product_id, sum(quantity)::bigint AS n FROM orders.order_lines GROUP BY product_id')).rows.map(
        (r: { product_id: string; n: string }) => [r.product_id, Number(r.n)],
      ),
    );
    let mismatched = 0;
    for (const [pid, stock] of (await pool.query('SELECT id, stock FROM catalog.products')).rows.map(
      (r: { id: string; stock: number }) => [r.id, r.stock] as const,
    )) {
      const initial = pid === scarce ? OVERSELL_STOCK : stockBefore.get(pid)!;
      if (initial - stock !== (sold.get(pid) ?? 0)) mismatched++;
    }
    const oversold = Math.max(0, created - OVERSELL_STOCK) + (scarceStock < 0 ? -scarceStock : 0);

    const ratioCheckout = bestApi.rps / bestRaw.rps;
    const ratioReplay = replay.rps / productGet.rps;
    console.log(
      '\n| measure | req/s | p50 ms | p99 ms | reference | reference req/s | ratio |\n| --- | ---: | ---: | ---: | --- | ---: | ---: |',
    );
    console.log(
      `| checkout (API) | ${bestApi.rps.toFixed(0)} | ${bestApi.p50Ms.toFixed(1)} | ${bestApi.p99Ms.toFixed(1)} | same transaction, plain pg | ${bestRaw.rps.toFixed(0)} | ${ratioCheckout.toFixed(2)} |`,
    );
    console.log(
      `| idempotent replay | ${replay.rps.toFixed(0)} | ${replay.p50Ms.toFixed(2)} | ${replay.p99Ms.toFixed(2)} | cached product GET | ${productGet.rps.toFixed(0)} | ${ratioReplay.toFixed(2)} |`,
    );
    console.log(`\nAPI CPU per checkout: ${bestApi.cpuUsPerCheckout.toFixed(0)} µs; non-201 during the checkout runs: ${bestApi.non201}`);
    console.log(
      `oversell: ${created} of ${OVERSELL_ATTEMPTS} checkouts for ${OVERSELL_STOCK} units created, stock left ${scarceStock}; oversold ${oversold}; products whose stock taken ≠ units sold: ${mismatched}`,
    );
    writeResults(RESULTS, {
      connections: CONNECTIONS,
      products: PRODUCTS,
      durationMs: DURATION_MS,
      checkout: {
        api: round(bestApi),
        rawPg: round(bestRaw),
        ratio: Number(ratioCheckout.toFixed(2)),
        apiRounds: apiRuns.map((r) => Math.round(r.rps)),
        rawRounds: rawRuns.map((r) => Math.round(r.rps)),
      },
      replay: {
        rps: Math.round(replay.rps),
        p99Ms: Number(replay.p99Ms.toFixed(2)),
        cachedProductGetRps: Math.round(productGet.rps),
        ratio: Number(ratioReplay.toFixed(2)),
      },
      oversell: {
        attempts: OVERSELL_ATTEMPTS,
        stock: OVERSELL_STOCK,
        created,
        stockLeft: scarceStock,
        oversold,
        productsMismatched: mismatched,
      },
    });
    if (oversold !== 0 || mismatched !== 0) process.exitCode = 1;
  } finally {
    if (apiProc) await stop(apiProc.child);
    await pool.end();
    await stack.cleanup();
  }
}

function round<T extends Record<string, number>>(r: T): Record<string, number> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v.toFixed(k === 'rps' ? 0 : 2))]));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
