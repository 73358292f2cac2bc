/**
 * Auth benchmark: `npx tsx bench/auth.ts` (npm run bench:auth). Needs a build (`npm run build`) and
 * the local services (`npm run services`); builds nothing itself.
 *
 * Starts the built API (dist) on a free port with rate limits raised out of the way and request
 * logging at `warn` (pino skips /health/live but would log every /users/me line, which is not what
 * is measured here), registers a user, then measures with a keep-alive load generator:
 *   - public        GET /health/live       (no token; the global rate-limit check still runs)
 *   - authenticated GET /api/v1/users/me   (JWT verify + session check in Redis + cached profile)
 *   - login         POST /api/v1/auth/login (argon2id verify + session insert)
 * and prints req/s and p99 (best round), with the ratio authenticated/public (median over
 * back-to-back pairs; target >= 0.75). Writes bench/results/auth.json. BENCH_DURATION_MS /
 * BENCH_WARMUP_MS / BENCH_ROUNDS / BENCH_CONNECTIONS change the run; BENCH_API_MAIN runs another
 * build of the API instead of dist/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLoad, type LoadOptions, type LoadResult } from './lib/http-load.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// BENCH_API_MAIN points at another build of the API (default: the repo's dist/).
const API = process.env.BENCH_API_MAIN ?? fileURLToPath(new URL('../dist/apps/api/src/main.js', import.meta.url));
const RESULTS = fileURLToPath(new URL('./results/auth.json', import.meta.url));
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 3_000);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 1_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const LOGIN_CONNECTIONS = 8;
const LOGIN_ROUNDS = 2;
const TARGET_RATIO = 0.75;

type Scenario = 'public' | 'authenticated' | 'login';

async function main(): Promise<void> {
  if (!existsSync(API)) throw new Error('dist/ is missing: run `npm run build` first');
  const port = await freePort();
  const api = startApi(port);
  try {
    await waitReady(port, api);
    const user = await register(port);
    const scenarios: Record<Scenario, Omit<LoadOptions, 'durationMs' | 'warmupMs'>> = {
      public: { port, method: 'GET', path: '/health/live', connections: CONNECTIONS },
      authenticated: { port, method: 'GET', path: '/api/v1/users/me', headers: { authorization: `Bearer ${user.accessToken}` }, connections: CONNECTIONS },
      login: { port, method: 'POST', path: '/api/v1/auth/login', body: { email: user.email, password: user.password }, connections: LOGIN_CONNECTIONS },
    };
    const runs: Record<Scenario, Measured[]> = { public: [], authenticated: [], login: [] };
    const ratios: number[] = [];
    const measure = async (name: Scenario, round: number): Promise<Measured> => {
      await runLoad({ ...scenarios[name], durationMs: WARMUP_MS });
      const cpuBefore = processCpuMs(api.pid!);
      const load = await runLoad({ ...scenarios[name], durationMs: DURATION_MS });
      const cpuAfter = processCpuMs(api.pid!);
      const errors = Object.values(load.non2xx).reduce((a, b) => a + b, 0);
      if (errors) throw new Error(`${name}: ${errors} non-2xx responses ${JSON.stringify(load.non2xx)}`);
      const apiCpuUsPerRequest = cpuBefore === null || cpuAfter === null ? null : ((cpuAfter - cpuBefore) * 1000) / load.requests;
      const result = { ...load, apiCpuUsPerRequest };
      console.log(
        `round ${round} ${name.padEnd(13)} ${load.rps.toFixed(0).padStart(7)} req/s  p99 ${load.p99Ms.toFixed(2)} ms` +
          (apiCpuUsPerRequest === null ? '' : `  API CPU ${apiCpuUsPerRequest.toFixed(0)} µs/req`),
      );
      runs[name].push(result);
      return result;
    };
    // Public and authenticated back to back (order alternating), so each pair shares the same
    // background load; the ratio reported is the median of the pairs' ratios.
    for (let round = 1; round <= ROUNDS; round++) {
      const order: Scenario[] = round % 2 ? ['public', 'authenticated'] : ['authenticated', 'public'];
      const pair: Partial<Record<Scenario, LoadResult>> = {};
      for (const name of order) pair[name] = await measure(name, round);
      ratios.push(pair.authenticated!.rps / pair.public!.rps);
    }
    for (let round = 1; round <= LOGIN_ROUNDS; round++) await measure('login', round);
    report(runs, ratios);
  } finally {
    await stopApi(api);
  }
}

interface Measured extends LoadResult {
  /** CPU time of the API process per request (Linux /proc), independent of other load on the box. */
  apiCpuUsPerRequest: number | null;
}

const best = (results: Measured[]): Measured => results.reduce((a, b) => (b.rps > a.rps ? b : a));
const minCpu = (results: Measured[]): number | null => {
  const xs = results.map((r) => r.apiCpuUsPerRequest).filter((x): x is number => x !== null);
  return xs.length ? Math.min(...xs) : null;
};

/** utime + stime of a process in ms, or null where /proc is not available. */
function processCpuMs(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Best round per scenario (other processes only ever slow a round down); ratio: median of pairs. */
function report(runs: Record<Scenario, Measured[]>, ratios: number[]): void {
  const ratio = median(ratios);
  const rows = [
    ['GET /health/live (public)', CONNECTIONS, best(runs.public), minCpu(runs.public)],
    ['GET /api/v1/users/me (authenticated)', CONNECTIONS, best(runs.authenticated), minCpu(runs.authenticated)],
    ['POST /api/v1/auth/login', LOGIN_CONNECTIONS, best(runs.login), minCpu(runs.login)],
  ] as const;
  const cpuRatio = rows[0][3] !== null && rows[1][3] !== null ? rows[0][3] / rows[1][3] : null;
  console.log('\n| route | connections | req/s (best round) | p50 ms | p99 ms | API CPU µs/req (min) |\n| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const [route, connections, r, cpu] of rows) {
    console.log(`| ${route} | ${connections} | ${r.rps.toFixed(0)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${cpu === null ? 'n/a' : cpu.toFixed(0)} |`);
  }
  console.log(`\nauthenticated / public = ${ratio.toFixed(2)} (req/s, median of ${ratios.length} back-to-back pairs: ${ratios.map((r) => r.toFixed(2)).join(', ')})`);
  if (cpuRatio !== null) console.log(`by API CPU per request: ${cpuRatio.toFixed(2)} (public µs / authenticated µs)`);
  console.log(`target >= ${TARGET_RATIO}: ${ratio >= TARGET_RATIO ? 'met' : 'NOT met'}`);
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(
    RESULTS,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        cpus: os.cpus().length,
        durationMs: DURATION_MS,
        rounds: ROUNDS,
        results: Object.fromEntries(
          rows.map(([route, connections, r, cpu]) => [
            route,
            { connections, rps: Math.round(r.rps), p50Ms: round2(r.p50Ms), p99Ms: round2(r.p99Ms), requests: r.requests, apiCpuUsPerRequest: cpu === null ? null : Math.round(cpu) },
          ]),
        ),
        rpsPerRound: Object.fromEntries(Object.entries(runs).map(([name, rs]) => [name, rs.map((r) => Math.round(r.rps))])),
        ratioPerPair: ratios.map(round2),
        ratioAuthenticatedToPublic: round2(ratio),
        cpuRatioPublicToAuthenticated: cpuRatio === null ? null : round2(cpuRatio),
        targetRatio: TARGET_RATIO,
        targetMet: ratio >= TARGET_RATIO,
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`written ${RESULTS}`);
}

function startApi(port: number): ChildProcess {
  const child = spawn(process.execPath, [API], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      // A 1 s window: a whole run at 50,000 req/s would exhaust any per-minute limit the schema allows.
      THROTTLE_LIMIT: '1000000',
      THROTTLE_TTL_SECONDS: '1',
      LOGIN_THROTTLE_EMAIL_LIMIT: '1000000',
      LOGIN_THROTTLE_IP_LIMIT: '1000000',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return child;
}

async function stopApi(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function waitReady(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null) throw new Error(`API exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error('API not ready after 30 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function register(port: number): Promise<{ email: string; password: string; accessToken: string }> {
  const email = `bench-${randomUUID()}@example.com`;
  const password = `pw-${randomUUID()}`;
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, name: 'Bench User' }),
  });
  if (res.status !== 201) throw new Error(`register: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { accessToken: string };
  return { email, password, accessToken: body.accessToken };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
