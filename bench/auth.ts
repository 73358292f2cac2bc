/**
 * Auth benchmark: `npm run bench:auth` (tsx bench/auth.ts [--quick]). Builds dist when missing;
 * needs the local services (`npm run services`).
 *
 * In a database and Redis key prefix of its own, starts the built API with the rate limits raised
 * out of the way (RAISED_LIMITS in bench/lib/settings.ts) and request logging at `warn`, registers a few users, then
 * measures with a keep-alive closed-loop load generator:
 *   1. public GET /health/live vs authenticated GET /api/v1/users/me (JWT verify + session check +
 *      cached profile), 32 connections: many short rounds, public and authenticated back to back
 *      (order alternating) so each pair shares the same background load; the ratio reported is the
 *      median of the pairs with its spread (min–max). Target ≥ 0.75.
 *   2. sign-in: POST /api/v1/auth/login (argon2id verify + session insert), 8 connections, vs raw
 *      argon2id verifies per second of the same stored hashes (@node-rs/argon2 `verify` in this
 *      process, 8 in flight; the hashes carry the parameters libs/identity hashes with), again in
 *      alternating pairs, median and spread.
 * Every response must be 2xx: a run with more than BENCH_MAX_NON2XX (default 1 %) of other answers
 * stops the bench with an error (a 429 names the limit to raise) instead of printing figures.
 * Writes bench/results/auth.json (bench/results/quick/ in short mode).
 *
 * BENCH_ROUNDS / BENCH_DURATION_MS / BENCH_WARMUP_MS / BENCH_CONNECTIONS (routes),
 * BENCH_LOGIN_ROUNDS / BENCH_LOGIN_MS / BENCH_LOGIN_CONNECTIONS (sign-in) change the run;
 * BENCH_API_MAIN runs another build of the API instead of dist/.
 */
import { verify } from '@node-rs/argon2';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { createBenchStack, writeResults } from './lib/bench-stack.js';
import { closedLoop, summarize } from './lib/http-load.js';
import { cpuMs, freePort, loadEnvDefaults, median, API_BUNDLE, start, stop, waitHttp, type Started } from './lib/processes.js';
import { QUICK, RAISED_LIMITS, resultsFile, setting } from './lib/settings.js';

loadEnvDefaults();
const API = process.env.BENCH_API_MAIN ?? API_BUNDLE;
const RESULTS = resultsFile('auth');
const ROUNDS = setting('BENCH_ROUNDS', 12, 5);
const DURATION_MS = setting('BENCH_DURATION_MS', 1_500, 700);
const WARMUP_MS = setting('BENCH_WARMUP_MS', 300, 200);
const CONNECTIONS = setting('BENCH_CONNECTIONS', 32, 32);
const LOGIN_ROUNDS = setting('BENCH_LOGIN_ROUNDS', 6, 3);
const LOGIN_MS = setting('BENCH_LOGIN_MS', 2_000, 1_000);
const LOGIN_CONNECTIONS = setting('BENCH_LOGIN_CONNECTIONS', 8, 8);
/** Largest fraction of non-2xx answers a run may have before the bench fails. */
const MAX_NON2XX = setting('BENCH_MAX_NON2XX', 0.01, 0.01);
const USERS = 8;
const TARGET_RATIO = 0.75;

/** The API's rate limits for this run (see RAISED_LIMITS). */
const LIMITS = RAISED_LIMITS;

interface Run {
  /** 2xx answers per second. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** CPU time per answer (µs): of the API process, or of this process for the raw verifies. */
  apiCpuUs: number;
}
interface User {
  email: string;
  password: string;
  accessToken: string;
}
type Route = 'public' | 'authenticated';

async function main(): Promise<void> {
  const started = Date.now();
  const stack = await createBenchStack({ ...LIMITS, DB_POOL_SIZE: '20' });
  let api: Started | undefined;
  try {
    const port = await freePort();
    api = start(process.execPath, [API], { ...stack.env, PORT: String(port), HOST: '127.0.0.1' });
    await waitHttp(port, '/health/ready', api);
    const apiPid = api.child.pid!;
    const users: User[] = [];
    users.push(...(await Promise.all(Array.from({ length: USERS }, () => register(port)))));
    const hashes = await storedHashes(stack.env.DB_PRIMARY_URL, users);
    const params = /^\$(argon2\w+)\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(hashes[0].hash);
    if (!params) throw new Error(`unexpected password hash format: ${hashes[0].hash.slice(0, 30)}…`);
    const argon2 = {
      algorithm: params[1],
      version: Number(params[2]),
      memoryKiB: Number(params[3]),
      timeCost: Number(params[4]),
      parallelism: Number(params[5]),
    };

    const requests: Record<Route, Buffer> = {
      public: httpRequest(port, 'GET', '/health/live'),
      authenticated: httpRequest(port, 'GET', '/api/v1/users/me', { authorization: `Bearer ${users[0].accessToken}` }),
    };
    const logins = users.map((u) => httpRequest(port, 'POST', '/api/v1/auth/login', {}, { email: u.email, password: u.password }));

    /** One closed-loop run against the API; fails on socket errors and on too many non-2xx answers. */
    const http = async (name: string, connections: number, ms: number, request: () => Buffer): Promise<Run> => {
      const cpuBefore = cpuMs(apiPid);
      const run = await closedLoop({ port, connections, durationMs: ms, request });
      const cpu = cpuMs(apiPid) - cpuBefore;
      if (run.errors) throw new Error(`${name}: ${run.errors} connection(s) failed`);
      checkStatuses(name, run.byStatus);
      const ok = Object.entries(run.byStatus).reduce((n, [status, count]) => (status.startsWith('2') ? n + count : n), 0);
      const s = summarize(run);
      return {
        rps: (ok / run.elapsedMs) * 1000,
        p50Ms: s.p50Ms,
        p99Ms: s.p99Ms,
        requests: s.requests,
        apiCpuUs: (cpu * 1000) / Math.max(1, s.requests),
      };
    };
    const route = async (name: Route, ms: number): Promise<Run> => {
      if (WARMUP_MS) await http(name, CONNECTIONS, WARMUP_MS, () => requests[name]);
      return http(name, CONNECTIONS, ms, () => requests[name]);
    };
    let next = 0;
    const login = (ms: number): Promise<Run> => http('login', LOGIN_CONNECTIONS, ms, () => logins[next++ % logins.length]);
    const raw = (ms: number): Promise<Run> => rawVerify(hashes, LOGIN_CONNECTIONS, ms);

    console.log(
      `auth: ${ROUNDS} pairs × ${DURATION_MS} ms (+${WARMUP_MS} ms warm-up) at ${CONNECTIONS} connections; ` +
        `sign-in: ${LOGIN_ROUNDS} pairs × ${LOGIN_MS} ms at ${LOGIN_CONNECTIONS} in flight (${argon2.algorithm} m=${argon2.memoryKiB} KiB t=${argon2.timeCost} p=${argon2.parallelism})`,
    );
    // One warm-up of everything first (JIT, pools, L1, argon2 memory).
    const warm = QUICK ? 500 : 1_000;
    await route('public', warm);
    await route('authenticated', warm);
    await login(warm);
    await raw(warm);

    const runs: Record<Route | 'login' | 'raw', Run[]> = { public: [], authenticated: [], login: [], raw: [] };
    const routeRatios: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const order: Route[] = round % 2 ? ['public', 'authenticated'] : ['authenticated', 'public'];
      for (const name of order) runs[name].push(await route(name, DURATION_MS));
      const [p, a] = [runs.public.at(-1)!, runs.authenticated.at(-1)!];
      routeRatios.push(a.rps / p.rps);
      console.log(
        `  round ${String(round).padStart(2)}  public ${fmt(p.rps)} req/s  authenticated ${fmt(a.rps)} req/s  ratio ${routeRatios.at(-1)!.toFixed(2)}`,
      );
    }
    const loginRatios: number[] = [];
    for (let round = 1; round <= LOGIN_ROUNDS; round++) {
      if (round % 2) {
        runs.login.push(await login(LOGIN_MS));
        runs.raw.push(await raw(LOGIN_MS));
      } else {
        runs.raw.push(await raw(LOGIN_MS));
        runs.login.push(await login(LOGIN_MS));
      }
      const [l, r] = [runs.login.at(-1)!, runs.raw.at(-1)!];
      loginRatios.push(l.rps / r.rps);
      console.log(
        `  sign-in round ${round}  login ${l.rps.toFixed(0)}/s (p99 ${l.p99Ms.toFixed(0)} ms)  raw verify ${r.rps.toFixed(0)}/s  ratio ${loginRatios.at(-1)!.toFixed(2)}`,
      );
    }
    report(runs, routeRatios, loginRatios, argon2, Math.round((Date.now() - started) / 1000));
  } finally {
    if (api) await stop(api.child);
    await stack.cleanup();
  }
}

/** Fails the run when more than MAX_NON2XX of the answers were not 2xx. */
function checkStatuses(name: string, byStatus: Record<string, number>): void {
  const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
  const bad = Object.entries(byStatus).filter(([status]) => !status.startsWith('2'));
  const badCount = bad.reduce((n, [, c]) => n + c, 0);
  if (total === 0) throw new Error(`${name}: no answer at all`);
  if (badCount / total <= MAX_NON2XX) return;
  const passed = Object.entries(LIMITS)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const hint = byStatus['429']
    ? ` — 429 is the API's rate limit: the bench starts the API with ${passed}; if a limit has moved to another variable, pass it with BENCH_API_ENV=NAME=value or add it to RAISED_LIMITS (bench/lib/settings.ts)`
    : byStatus['503']
      ? ` — 503 on sign-in is the API shedding password hashes it cannot start in time; the bench starts the API with ${passed} (BENCH_API_ENV=NAME=value adds or overrides a variable)`
      : '';
  throw new Error(
    `${name}: ${badCount} of ${total} answers were not 2xx ${JSON.stringify(Object.fromEntries(bad))} (allowed: ${MAX_NON2XX * 100} %)${hint}`,
  );
}

/** argon2id verifies per second in this process, `inFlight` at once, over the users' stored hashes. */
async function rawVerify(hashes: { hash: string; password: string }[], inFlight: number, ms: number): Promise<Run> {
  const latencies: number[] = [];
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const end = started + ms;
  let failed = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async (_, worker) => {
      for (let i = worker; performance.now() < end; i++) {
        const h = hashes[i % hashes.length];
        const t = performance.now();
        if (!(await verify(h.hash, h.password))) failed++;
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  if (failed) throw new Error(`raw verify: ${failed} verifies did not match the stored hash`);
  const sorted = latencies.sort((a, b) => a - b);
  const pct = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
  return {
    rps: (latencies.length / elapsed) * 1000,
    p50Ms: pct(50),
    p99Ms: pct(99),
    requests: latencies.length,
    apiCpuUs: (cpu.user + cpu.system) / Math.max(1, latencies.length),
  };
}

function report(
  runs: Record<Route | 'login' | 'raw', Run[]>,
  routeRatios: number[],
  loginRatios: number[],
  argon2: Record<string, string | number>,
  seconds: number,
): void {
  const spread = (xs: number[]) => ({ median: round2(median(xs)), min: round2(Math.min(...xs)), max: round2(Math.max(...xs)) });
  const medianRun = (rs: Run[]) => ({
    rps: Math.round(median(rs.map((r) => r.rps))),
    p50Ms: round2(median(rs.map((r) => r.p50Ms))),
    p99Ms: round2(median(rs.map((r) => r.p99Ms))),
    apiCpuUsPerRequest: Math.round(median(rs.map((r) => r.apiCpuUs))),
    rpsMin: Math.round(Math.min(...rs.map((r) => r.rps))),
    rpsMax: Math.round(Math.max(...rs.map((r) => r.rps))),
    requests: rs.reduce((n, r) => n + r.requests, 0),
  });
  const routes = spread(routeRatios);
  const signIn = spread(loginRatios);
  const m = {
    public: medianRun(runs.public),
    authenticated: medianRun(runs.authenticated),
    login: medianRun(runs.login),
    raw: medianRun(runs.raw),
  };
  const met = routes.median >= TARGET_RATIO;
  console.log(
    '\n| measure | connections | req/s (median of rounds) | min–max | p50 ms | p99 ms | API CPU µs/req |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  const line = (label: string, c: number, r: ReturnType<typeof medianRun>) =>
    console.log(
      `| ${label} | ${c} | ${fmt(r.rps)} | ${fmt(r.rpsMin)}–${fmt(r.rpsMax)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${fmt(r.apiCpuUsPerRequest)} |`,
    );
  line('GET /health/live (public)', CONNECTIONS, m.public);
  line('GET /api/v1/users/me (authenticated)', CONNECTIONS, m.authenticated);
  line('POST /api/v1/auth/login (sign-in)', LOGIN_CONNECTIONS, m.login);
  line(`raw ${argon2.algorithm} verify, same hashes (@node-rs/argon2; CPU of this process)`, LOGIN_CONNECTIONS, m.raw);
  console.log(
    `\nauthenticated / public = ${routes.median.toFixed(2)} (median of ${routeRatios.length} pairs, ${routes.min.toFixed(2)}–${routes.max.toFixed(2)}); target ≥ ${TARGET_RATIO}: ${met ? 'met' : 'NOT met'}`,
  );
  const cpuPerLogin = m.login.apiCpuUsPerRequest / Math.max(1, m.raw.apiCpuUsPerRequest);
  console.log(
    `sign-in / raw verify = ${signIn.median.toFixed(2)} (median of ${loginRatios.length} pairs, ${signIn.min.toFixed(2)}–${signIn.max.toFixed(2)}); ` +
      `CPU per sign-in ${fmt(m.login.apiCpuUsPerRequest)} µs = ${cpuPerLogin.toFixed(2)}× a raw verify`,
  );
  writeResults(RESULTS, {
    settings: {
      rounds: ROUNDS,
      durationMs: DURATION_MS,
      warmupMs: WARMUP_MS,
      connections: CONNECTIONS,
      loginRounds: LOGIN_ROUNDS,
      loginMs: LOGIN_MS,
      loginConnections: LOGIN_CONNECTIONS,
      users: USERS,
      apiEnv: LIMITS,
    },
    argon2,
    results: m,
    routes: { ratioAuthenticatedToPublic: routes, perPair: routeRatios.map(round2), targetRatio: TARGET_RATIO, targetMet: met },
    signIn: {
      ratioLoginToRawVerify: signIn,
      perPair: loginRatios.map(round2),
      loginRps: m.login.rps,
      rawVerifyRps: m.raw.rps,
      cpuPerLoginToRawVerify: round2(cpuPerLogin),
    },
    // Kept for readers of the previous format.
    ratioAuthenticatedToPublic: routes.median,
    targetRatio: TARGET_RATIO,
    targetMet: met,
    seconds,
  });
}

function httpRequest(port: number, method: 'GET' | 'POST', path: string, headers: Record<string, string> = {}, body?: unknown): Buffer {
  const text = body === undefined ? '' : JSON.stringify(body);
  const all: Record<string, string> = { host: `127.0.0.1:${port}`, connection: 'keep-alive', ...headers };
  if (text) Object.assign(all, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
  return Buffer.from(
    `${method} ${path} HTTP/1.1\r\n${Object.entries(all)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('')}\r\n${text}`,
  );
}

async function register(port: number): Promise<User> {
  const email = `bench-${randomUUID()}@example.com`;
  const password = `pw-${randomUUID()}`;
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, name: 'Bench User' }),
  });
  if (res.status !== 201) throw new Error(`register: ${res.status} ${await res.text()}`);
  return { email, password, accessToken: ((await res.json()) as { accessToken: string }).accessToken };
}

/** The password hashes the API stored for the users (what a login verifies against). */
async function storedHashes(url: string, users: User[]): Promise<{ hash: string; password: string }[]> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const { rows } = await db.query<{ email: string; password_hash: string }>(
      'SELECT email, password_hash FROM identity.users WHERE email = ANY($1)',
      [users.map((u) => u.email)],
    );
    const byEmail = new Map(rows.map((r) => [r.email, r.password_hash]));
    return users.map((u) => {
      const hash = byEmail.get(u.email);
      if (!hash) throw new Error(`no stored hash for ${u.email}`);
      return { hash, password: u.password };
    });
  } finally {
    await db.end();
  }
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const round2 = (n: number): number => Math.round(n * 100) / 100;

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench:auth failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
