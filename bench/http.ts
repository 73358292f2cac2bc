/**
 * HTTP benchmark of the catalog: `npm run bench:http` (tsx bench/http.ts).
 *
 * Starts the BUILT API (`node dist/apps/api/src/main.js`; `npm run build` first when dist is
 * missing) on a free port, against its own database (created here, migrated and seeded with
 * 1,000 products, dropped at the end) and its own Redis key prefix, plus a reference server:
 * plain Fastify + ioredis answering the same product JSON from Redis. Then, at 32 keep-alive
 * connections, with wrk (one client thread; `npm run bench:http` installs it from Debian's packages
 * when missing and run as root) or, without wrk or with BENCH_CLIENT=builtin, the built-in closed
 * loop on raw sockets (bench/lib/path-load.ts, http-load.ts):
 *   - cached GET /api/v1/products/:id, random ids among the 1,000, API vs reference
 *   - a cached list query, API vs reference
 *   - uncached lists (a distinct query per request: every request loads from Postgres)
 *   - cart: GET /api/v1/cart of a 10-line guest cart, and POST /api/v1/cart/items (a new guest
 *     cart per request: product lookup + one Lua write + priced answer), API vs reference
 * and reports req/s, p50/p99 and ratios, plus the API's peak RSS; writes bench/results/http.json.
 * Targets: cached product GET ≥ 0.70 × reference req/s and p99 ≤ 2 × reference.
 *
 * The API runs with LOG_LEVEL=warn (no access log line per request; the reference logs nothing)
 * and a rate limit high enough never to answer 429 (the limiter still runs on every request).
 * BENCH_DURATION_MS / BENCH_WARMUP_MS / BENCH_ROUNDS / BENCH_CONNECTIONS tune the run.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { runLoad } from './lib/http-load.js';
import { runPathLoad, type PathLoadResult } from './lib/path-load.js';
import { cpuMs, freePort, loadEnvDefaults, peakRssMb, ROOT, start, stop, waitHttp, withDatabase } from './lib/processes.js';
import { runWrk, wrkAvailable, type WrkRequests } from './lib/wrk-load.js';

const RESULTS = resolve(ROOT, 'bench/results/http.json');
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 8_000);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 2_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const PRODUCTS = 1_000;
const LIST_PATH = '/api/v1/products?category=kitchen&sort=price&limit=20';
const CLIENT = process.env.BENCH_CLIENT === 'builtin' || !wrkAvailable() ? 'builtin' : 'wrk';

loadEnvDefaults();







async function waitReplica(primaryUrl: string, replicaUrl: string): Promise<void> {
  if (!replicaUrl) return;
  const primary = new pg.Client({ connectionString: primaryUrl });
  await primary.connect();
  const { rows } = await primary.query('SELECT pg_current_wal_insert_lsn()::text AS lsn');
  await primary.end();
  const deadline = Date.now() + 30_000;
  for (;;) {
    const replica = new pg.Client({ connectionString: replicaUrl });
    try {
      await replica.connect();
      const r = await replica.query('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok', [rows[0].lsn]);
      if (r.rows[0].ok) return;
    } catch {
      // database not replayed yet
    } finally {
      await replica.end().catch(() => undefined);
    }
    if (Date.now() > deadline) throw new Error('replica did not catch up within 30 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}

type Row = { name: string; rps: number; p50Ms: number; p99Ms: number; requests: number; non200: Record<string, number>; errors: number; cpuUsPerRequest: number };


/** One run of `plan` with the chosen client: wrk, or the built-in closed loop. */
async function load(port: number, plan: WrkRequests, durationMs: number): Promise<PathLoadResult> {
  if (CLIENT === 'wrk') return runWrk({ port, connections: CONNECTIONS, durationMs, requests: plan });
  if (plan.kind === 'fixed') {
    const r = await runLoad({ port, ...plan, connections: CONNECTIONS, durationMs });
    return { requests: r.requests, rps: r.rps, p50Ms: r.p50Ms, p99Ms: r.p99Ms, errors: 0, non200: r.non2xx };
  }
  let n = plan.kind === 'counter' ? plan.start : 0;
  const path = plan.kind === 'random' ? (): string => plan.paths[(Math.random() * plan.paths.length) | 0]! : (): string => `${plan.prefix}${++n}${plan.suffix}`;
  return runPathLoad({ port, path, connections: CONNECTIONS, durationMs });
}

/** Warm-up, then a measured run; also the server's CPU time per request (robust on a busy machine). */
async function measured(port: number, pid: number, plan: WrkRequests, warmupMs: number): Promise<PathLoadResult & { cpuUsPerRequest: number }> {
  if (warmupMs) await load(port, plan, warmupMs);
  const before = cpuMs(pid);
  const r = await load(port, plan, DURATION_MS);
  return { ...r, cpuUsPerRequest: Math.round(((cpuMs(pid) - before) * 1000) / Math.max(1, r.requests)) };
}

async function main(): Promise<void> {
  const started = Date.now();
  if (!existsSync(resolve(ROOT, 'dist/apps/api/src/main.js')) || !existsSync(resolve(ROOT, 'dist/apps/cli/src/seed.js'))) {
    console.log('build: dist missing, running npm run build');
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  }
  const id = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const database = `commerce_bench_${id}`;
  const basePrimary = process.env.DB_PRIMARY_URL!;
  const baseReplica = process.env.DB_REPLICA_URL ?? '';
  const prefix = `bench${id}`;
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    JWT_SECRET: randomBytes(32).toString('hex'),
    LOG_LEVEL: 'warn',
    THROTTLE_LIMIT: '1000000',
    THROTTLE_TTL_SECONDS: '1',
    DB_PRIMARY_URL: withDatabase(basePrimary, database),
    DB_REPLICA_URL: baseReplica ? withDatabase(baseReplica, database) : '',
    REDIS_KEY_PREFIX: prefix,
    SWAGGER_ENABLED: 'false',
  };

  const admin = new pg.Client({ connectionString: withDatabase(basePrimary, 'postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const redis = new Redis(process.env.REDIS_URL!);
  const children: ChildProcess[] = [];
  try {
    console.log(`database ${database}: migrating and seeding ${PRODUCTS} products`);
    execFileSync(process.execPath, [resolve(ROOT, 'dist/apps/cli/src/seed.js')], {
      cwd: ROOT,
      env: { ...process.env, ...env, SEED_PRODUCTS: String(PRODUCTS), NODE_OPTIONS: '' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    await waitReplica(env.DB_PRIMARY_URL!, env.DB_REPLICA_URL!);

    const apiPort = await freePort();
    const api = start(process.execPath, [resolve(ROOT, 'dist/apps/api/src/main.js')], { ...env, PORT: String(apiPort), HOST: '127.0.0.1' });
    children.push(api.child);
    await waitHttp(apiPort, '/health/live', api);

    const db = new pg.Client({ connectionString: env.DB_PRIMARY_URL });
    await db.connect();
    const ids = (await db.query('SELECT id FROM catalog.products WHERE deleted_at IS NULL ORDER BY sku')).rows.map((r: { id: string }) => r.id);
    // Cart rows: 10 products with plenty of stock (the add-item row adds 1 unit per request).
    const cartIds = (await db.query('SELECT id FROM catalog.products WHERE deleted_at IS NULL AND stock >= 100 ORDER BY sku LIMIT 10')).rows.map((r: { id: string }) => r.id);
    await db.end();
    if (ids.length !== PRODUCTS) throw new Error(`expected ${PRODUCTS} products, found ${ids.length}`);

    // Warm the API cache and copy the exact bodies into the reference's keys.
    const refPrefix = `${prefix}:ref`;
    for (let i = 0; i < ids.length; i += 50) {
      const bodies = await Promise.all(ids.slice(i, i + 50).map(async (pid) => [pid, await (await fetch(`http://127.0.0.1:${apiPort}/api/v1/products/${pid}`)).text()] as const));
      const p = redis.pipeline();
      for (const [pid, body] of bodies) p.set(`${refPrefix}:product:${pid}`, body);
      await p.exec();
    }
    const listBody = await (await fetch(`http://127.0.0.1:${apiPort}${LIST_PATH}`)).text();
    await redis.set(`${refPrefix}:list`, listBody);

    const refPort = await freePort();
    const ref = start(process.execPath, ['--import', 'tsx', resolve(ROOT, 'bench/lib/reference-server.ts')], { REF_PREFIX: refPrefix, PORT: String(refPort) });
    children.push(ref.child);
    await waitHttp(refPort, `/api/v1/products/${ids[0]}`, ref);

    // Cart: a 10-line guest cart in the API (through the API) and the same lines in the reference.
    let cartToken = '';
    for (const pid of cartIds) {
      const res = await fetch(`http://127.0.0.1:${apiPort}/api/v1/cart/items`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(cartToken ? { 'x-cart-token': cartToken } : {}) },
        body: JSON.stringify({ productId: pid, quantity: 1 }),
      });
      if (res.status !== 200) throw new Error(`cart fixture: POST /cart/items answered ${res.status}: ${await res.text()}`);
      cartToken ||= res.headers.get('x-cart-token')!;
    }
    const refCartId = 'bench-cart';
    await redis.hset(`${refPrefix}:{cart:${refCartId}}:qty`, Object.fromEntries(cartIds.map((pid) => [pid, '1'])));
    const get = (path: string, headers?: Record<string, string>): WrkRequests => ({ kind: 'fixed', method: 'GET', path, headers });
    const getCart = (token: string): WrkRequests => get('/api/v1/cart', { 'x-cart-token': token });
    const addItem: WrkRequests = { kind: 'fixed', method: 'POST', path: '/api/v1/cart/items', body: { productId: cartIds[0], quantity: 1 } };
    const products: WrkRequests = { kind: 'random', paths: ids.map((pid) => `/api/v1/products/${pid}`) };
    const apiPid = api.child.pid!;
    const refPid = ref.child.pid!;
    type Subject = { name: string; port: number; pid: number; plan: WrkRequests };
    const subjects: Subject[] = [
      { name: 'reference product', port: refPort, pid: refPid, plan: products },
      { name: 'api product (cached)', port: apiPort, pid: apiPid, plan: products },
      { name: 'reference list', port: refPort, pid: refPid, plan: get(LIST_PATH) },
      { name: 'api list (cached)', port: apiPort, pid: apiPid, plan: get(LIST_PATH) },
      // The platform's floor: a public Nest route with no catalog code (same adapter, hooks, guards).
      { name: 'api floor (/health/live)', port: apiPort, pid: apiPid, plan: get('/health/live') },
    ];
    const cartSubjects: Subject[] = [
      { name: 'reference get-cart (10 lines)', port: refPort, pid: refPid, plan: getCart(refCartId) },
      { name: 'api get-cart (10 lines)', port: apiPort, pid: apiPid, plan: getCart(cartToken) },
      { name: 'reference add-item', port: refPort, pid: refPid, plan: addItem },
      { name: 'api add-item (new guest cart)', port: apiPort, pid: apiPid, plan: addItem },
    ];
    const best = new Map<string, Row>();
    const keep = (name: string, r: PathLoadResult & { cpuUsPerRequest: number }): void => {
      const prev = best.get(name);
      if (!prev || r.rps > prev.rps) best.set(name, { name, ...r });
    };
    console.log(`load: ${CLIENT === 'wrk' ? 'wrk' : 'built-in client (no wrk)'}, ${CONNECTIONS} connections, ${ROUNDS} rounds × ${DURATION_MS} ms (+${WARMUP_MS} ms warm-up) per subject`);
    // Catalog subjects first, then the cart ones, each set interleaved round by round.
    for (const set of [subjects, cartSubjects]) {
      for (let round = 0; round < ROUNDS; round++) {
        for (const s of set) {
          const r = await measured(s.port, s.pid, s.plan, WARMUP_MS);
          keep(s.name, r);
          console.log(`  round ${round + 1} ${s.name.padEnd(22)} ${Math.round(r.rps).toString().padStart(7)} req/s  p99 ${r.p99Ms.toFixed(2)} ms  cpu ${r.cpuUsPerRequest} µs/req`);
        }
      }
    }
    // A distinct query per request: every one loads from Postgres.
    const uncached = await measured(apiPort, apiPid, { kind: 'counter', prefix: '/api/v1/products?maxPrice=', start: 100_000, suffix: '&sort=price&limit=20' }, 0);
    keep('api list (uncached, Postgres)', uncached);
    const rssMb = peakRssMb(api.child.pid!);

    const row = (n: string): Row => best.get(n)!;
    const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;
    const product = { api: row('api product (cached)'), reference: row('reference product') };
    const list = { api: row('api list (cached)'), reference: row('reference list') };
    const summary = {
      productRpsRatio: ratio(product.api.rps, product.reference.rps),
      productP99Ratio: ratio(product.api.p99Ms, product.reference.p99Ms),
      productCpuRatio: ratio(product.api.cpuUsPerRequest, product.reference.cpuUsPerRequest),
      catalogCpuUsPerProductGet: product.api.cpuUsPerRequest - row('api floor (/health/live)').cpuUsPerRequest,
      listRpsRatio: ratio(list.api.rps, list.reference.rps),
      listP99Ratio: ratio(list.api.p99Ms, list.reference.p99Ms),
      cartGetRpsRatio: ratio(row('api get-cart (10 lines)').rps, row('reference get-cart (10 lines)').rps),
      cartGetP99Ratio: ratio(row('api get-cart (10 lines)').p99Ms, row('reference get-cart (10 lines)').p99Ms),
      cartAddRpsRatio: ratio(row('api add-item (new guest cart)').rps, row('reference add-item').rps),
      cartAddP99Ratio: ratio(row('api add-item (new guest cart)').p99Ms, row('reference add-item').p99Ms),
    };
    const targets = { productRpsRatioMin: 0.7, productP99RatioMax: 2, met: summary.productRpsRatio >= 0.7 && summary.productP99Ratio <= 2 };

    console.log('');
    console.log('| subject | req/s | p50 ms | p99 ms | server CPU µs/req | vs reference |');
    console.log('| --- | ---: | ---: | ---: | ---: | --- |');
    const line = (r: Row, vs = ''): void =>
      console.log(`| ${r.name} | ${Math.round(r.rps)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${r.cpuUsPerRequest} | ${vs} |`);
    line(product.reference);
    line(product.api, `${summary.productRpsRatio}× req/s, ${summary.productP99Ratio}× p99`);
    line(list.reference);
    line(list.api, `${summary.listRpsRatio}× req/s, ${summary.listP99Ratio}× p99`);
    line(row('reference get-cart (10 lines)'));
    line(row('api get-cart (10 lines)'), `${summary.cartGetRpsRatio}× req/s, ${summary.cartGetP99Ratio}× p99`);
    line(row('reference add-item'));
    line(row('api add-item (new guest cart)'), `${summary.cartAddRpsRatio}× req/s, ${summary.cartAddP99Ratio}× p99`);
    line(row('api list (uncached, Postgres)'), `${ratio(uncached.rps, list.api.rps)}× the cached list`);
    line(row('api floor (/health/live)'), `${ratio(row('api floor (/health/live)').rps, product.reference.rps)}× the reference: Nest + global guards, no catalog code`);
    console.log('');
    console.log(`API peak RSS: ${rssMb} MB`);
    console.log(`targets (product GET ≥ 0.70× req/s, p99 ≤ 2×): ${targets.met ? 'met' : 'NOT met'}`);
    for (const r of best.values()) if (Object.keys(r.non200).length || r.errors) console.log(`  note: ${r.name}: non-200 ${JSON.stringify(r.non200)}, socket errors ${r.errors}`);

    mkdirSync(resolve(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(
      RESULTS,
      JSON.stringify(
        {
          date: new Date().toISOString(),
          node: process.version,
          cpus: (await import('node:os')).cpus().length,
          settings: { client: CLIENT, connections: CONNECTIONS, durationMs: DURATION_MS, warmupMs: WARMUP_MS, rounds: ROUNDS, products: PRODUCTS, listPath: LIST_PATH, apiLogLevel: 'warn' },
          results: [...best.values()],
          summary,
          targets,
          apiPeakRssMb: rssMb,
          seconds: Math.round((Date.now() - started) / 1000),
        },
        null,
        2,
      ) + '\n',
    );
    console.log(`wrote ${RESULTS}`);
  } finally {
    for (const c of children) await stop(c);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
    redis.disconnect();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
