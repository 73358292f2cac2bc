/**
 * `npm run chaos`: dependency outages under steady load, on a stack of its own.
 *
 * Starts its own Redis, Postgres primary and streaming replica (Debian's PostgreSQL 15 binaries,
 * run as the `postgres` OS user when started as root) on free ports in a temporary directory,
 * builds the API (`npm run build`; CHAOS_SKIP_BUILD=1 reuses dist/), migrates, seeds and starts
 * one API instance from dist/. A closed-loop load generator (CHAOS_CONCURRENCY clients, each with
 * its own user) runs a route mix: product GET, product list, GET /users/me, GET /cart,
 * POST /cart/items, PATCH /users/me and POST /orders. Meanwhile it stops Redis, then the replica,
 * then the primary, each for CHAOS_OUTAGE_MS (default 10 s), and starts it again. It prints, per
 * route, the status counts before, during and after each outage, and the time each route and
 * /health/ready took to recover once the dependency was back. Exits non-zero when any answer was
 * a 5xx other than 503 (a dependency outage must give 503 with Retry-After, never a 500), when
 * a route had not recovered by the end of its window, or when the API process exited (the end of
 * its log is printed).
 *
 * Everything it started (processes, data directories) is removed on exit, Ctrl-C included.
 *
 *   CHAOS_OUTAGE_MS=10000   how long each dependency stays down
 *   CHAOS_SETTLE_MS=15000   the window after each restart ("after")
 *   CHAOS_BASELINE_MS=10000 the window before the first outage
 *   CHAOS_CONCURRENCY=8     clients in the closed loop
 *   CHAOS_SKIP_BUILD=1      use the existing dist/
 *   CHAOS_KEEP=1            keep the temporary directory (logs) on exit
 *   PG_BIN=/usr/lib/postgresql/15/bin
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
const OUTAGE_MS = Number(process.env.CHAOS_OUTAGE_MS ?? 10_000);
const SETTLE_MS = Number(process.env.CHAOS_SETTLE_MS ?? 15_000);
const BASELINE_MS = Number(process.env.CHAOS_BASELINE_MS ?? 10_000);
const CONCURRENCY = Number(process.env.CHAOS_CONCURRENCY ?? 8);
const REQUEST_TIMEOUT_MS = 5_000;
const AS_ROOT = process.getuid?.() === 0;

// ------------------------------------------------------------------ cleanup

const cleanups: (() => void)[] = [];
let cleaned = false;
function cleanup(): void {
  if (cleaned) return;
  cleaned = true;
  for (const fn of cleanups.reverse()) {
    try {
      fn();
    } catch (error) {
      console.error(`chaos: cleanup step failed: ${(error as Error).message}`);
    }
  }
}
process.on('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    console.error(`\nchaos: ${signal}, cleaning up`);
    cleanup();
    process.exit(130);
  });
}

// ------------------------------------------------------------------ helpers

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (msg: string) => console.log(`[${new Date().toISOString().slice(11, 23)}] ${msg}`);

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((r) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), r(true)));
    socket.once('error', () => r(false));
  });
}

/** A Postgres binary, as the postgres OS user when we are root (Postgres refuses to run as root). */
function pg(bin: string, args: string[], logFile: string): void {
  const command = AS_ROOT ? 'runuser' : join(PG_BIN, bin);
  const argv = AS_ROOT ? ['-u', 'postgres', '--', join(PG_BIN, bin), ...args] : args;
  const out = spawnSync(command, argv, { encoding: 'utf8', timeout: 120_000 });
  appendFileSync(logFile, `$ ${bin} ${args.join(' ')}\n${out.stdout ?? ''}${out.stderr ?? ''}`);
  if (out.status !== 0) throw new Error(`${bin} ${args.join(' ')} failed (${out.status}): ${(out.stderr || out.stdout || '').slice(-800)}`);
}

function psql(port: number, sql: string): string {
  const out = spawnSync(
    join(PG_BIN, 'psql'),
    ['-X', '-At', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-c', sql],
    { encoding: 'utf8', env: { ...process.env, PGCONNECT_TIMEOUT: '3' } },
  );
  if (out.status !== 0) throw new Error(`psql: ${out.stderr}`);
  return out.stdout.trim();
}

function run(command: string, args: string[], env: Record<string, string>, label: string): void {
  const out = spawnSync(command, args, {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (out.status !== 0)
    throw new Error(`${label} failed (${out.status}):\n${(out.stdout ?? '').slice(-2000)}${(out.stderr ?? '').slice(-2000)}`);
}

// ------------------------------------------------------------------ services

interface Stack {
  dir: string;
  redisPort: number;
  primaryPort: number;
  replicaPort: number;
  apiPort: number;
  redis: ChildProcess | null;
  api: ChildProcess | null;
}

function pgConf(name: string, port: number, sockDir: string): string {
  return [
    `listen_addresses = '127.0.0.1'`,
    `port = ${port}`,
    `unix_socket_directories = '${sockDir}'`,
    `cluster_name = 'chaos-${name}'`,
    'max_connections = 100',
    'shared_buffers = 64MB',
    'wal_level = replica',
    'max_wal_senders = 5',
    'max_replication_slots = 5',
    'hot_standby = on',
    'hot_standby_feedback = on',
    'wal_receiver_status_interval = 1s',
    'wal_retrieve_retry_interval = 1s',
    'fsync = off',
    'synchronous_commit = off',
    "timezone = 'UTC'",
    '',
  ].join('\n');
}

function startPg(stack: Stack, name: 'primary' | 'replica'): void {
  pg(
    'pg_ctl',
    ['start', '-D', join(stack.dir, name), '-l', join(stack.dir, `${name}.log`), '-w', '-t', '60'],
    join(stack.dir, 'pg_ctl.log'),
  );
}

function stopPg(stack: Stack, name: 'primary' | 'replica', mode: 'fast' | 'immediate' = 'fast'): void {
  pg('pg_ctl', ['stop', '-D', join(stack.dir, name), '-m', mode, '-w', '-t', '60'], join(stack.dir, 'pg_ctl.log'));
}

function pgRunning(stack: Stack, name: string): boolean {
  return existsSync(join(stack.dir, name, 'postmaster.pid'));
}

async function provisionPostgres(stack: Stack): Promise<void> {
  const logFile = join(stack.dir, 'pg_ctl.log');
  const sockDir = join(stack.dir, 'run');
  mkdirSync(sockDir);
  if (AS_ROOT) {
    if (spawnSync('id', ['postgres']).status !== 0)
      throw new Error('the postgres OS user does not exist (scripts/services.sh up creates it)');
    for (const d of [stack.dir, sockDir]) chownSync(d, uidOf('postgres'), gidOf('postgres'));
  }
  const primary = join(stack.dir, 'primary');
  pg('initdb', ['-D', primary, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8'], logFile);
  writeFileSync(
    join(primary, 'pg_hba.conf'),
    [
      'local all all trust',
      'host all all 127.0.0.1/32 trust',
      'local replication all trust',
      'host replication all 127.0.0.1/32 trust',
      '',
    ].join('\n'),
  );
  appendFileSync(join(primary, 'postgresql.conf'), `\n${pgConf('primary', stack.primaryPort, sockDir)}`);
  startPg(stack, 'primary');
  psql(stack.primaryPort, `SELECT pg_create_physical_replication_slot('chaos_replica', true)`);
  psql(stack.primaryPort, 'CREATE DATABASE commerce');
  const replica = join(stack.dir, 'replica');
  pg(
    'pg_basebackup',
    [
      '-h',
      '127.0.0.1',
      '-p',
      String(stack.primaryPort),
      '-U',
      'postgres',
      '-D',
      replica,
      '-R',
      '-X',
      'stream',
      '-S',
      'chaos_replica',
      '-c',
      'fast',
    ],
    logFile,
  );
  appendFileSync(join(replica, 'postgresql.conf'), `\n${pgConf('replica', stack.replicaPort, sockDir)}`);
  startPg(stack, 'replica');
  for (let i = 0; i < 60; i++) {
    if (psql(stack.primaryPort, `SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'`) === '1') return;
    await sleep(500);
  }
  throw new Error('the replica does not stream from the primary');
}

function uidOf(user: string): number {
  return Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
}
function gidOf(user: string): number {
  return Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim());
}

async function startRedis(stack: Stack): Promise<void> {
  const out = openSync(join(stack.dir, 'redis.log'), 'a');
  stack.redis = spawn(
    'redis-server',
    [
      '--port',
      String(stack.redisPort),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--dir',
      join(stack.dir, 'redis'),
    ],
    { stdio: ['ignore', out, out] },
  );
  for (let i = 0; i < 100; i++) {
    if (await portOpen(stack.redisPort)) return;
    await sleep(50);
  }
  throw new Error('redis-server did not start');
}

async function stopChild(child: ChildProcess | null, timeoutMs = 10_000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

// ------------------------------------------------------------------ load

const ROUTES = [
  'GET /products/:id',
  'GET /products',
  'GET /users/me',
  'GET /cart',
  'POST /cart/items',
  'PATCH /users/me',
  'POST /orders',
] as const;
type Route = (typeof ROUTES)[number];
const WEIGHTS: Record<Route, number> = {
  'GET /products/:id': 28,
  'GET /products': 17,
  'GET /users/me': 15,
  'GET /cart': 12,
  'POST /cart/items': 13,
  'PATCH /users/me': 8,
  'POST /orders': 7,
};

interface Sample {
  route: Route;
  at: number;
  status: number | 'timeout' | 'error';
}

interface Client {
  token: string;
}

class Load {
  readonly samples: Sample[] = [];
  private running = true;
  private readonly loops: Promise<void>[] = [];

  constructor(
    private readonly base: string,
    private readonly clients: Client[],
    private readonly productIds: string[],
  ) {}

  start(): void {
    for (const client of this.clients) this.loops.push(this.loop(client));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private pick(): Route {
    let n = Math.random() * 100;
    for (const r of ROUTES) {
      n -= WEIGHTS[r];
      if (n < 0) return r;
    }
    return 'GET /products';
  }

  private async loop(client: Client): Promise<void> {
    let page = 1;
    while (this.running) {
      const route = this.pick();
      const product = this.productIds[Math.floor(Math.random() * this.productIds.length)];
      const auth = { authorization: `Bearer ${client.token}` };
      const json = { 'content-type': 'application/json' };
      let request: [string, RequestInit];
      switch (route) {
        case 'GET /products/:id':
          request = [`/api/v1/products/${product}`, {}];
          break;
        case 'GET /products':
          page = (page % 3) + 1;
          request = [`/api/v1/products?page=${page}&limit=20&sort=${['name', '-price', '-createdAt'][page - 1]}`, {}];
          break;
        case 'GET /users/me':
          request = ['/api/v1/users/me', { headers: auth }];
          break;
        case 'GET /cart':
          request = ['/api/v1/cart', { headers: auth }];
          break;
        case 'POST /cart/items':
          request = [
            '/api/v1/cart/items',
            { method: 'POST', headers: { ...auth, ...json }, body: JSON.stringify({ productId: product, quantity: 1 }) },
          ];
          break;
        case 'PATCH /users/me':
          request = [
            '/api/v1/users/me',
            { method: 'PATCH', headers: { ...auth, ...json }, body: JSON.stringify({ name: `Chaos ${randomUUID().slice(0, 8)}` }) },
          ];
          break;
        case 'POST /orders':
          // Checks out the cart the client filled with POST /cart/items (empty cart → 422).
          request = ['/api/v1/orders', { method: 'POST', headers: { ...auth, ...json, 'idempotency-key': randomUUID() }, body: '{}' }];
          break;
      }
      let status: Sample['status'];
      try {
        const res = await fetch(this.base + request[0], { ...request[1], signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
        await res.arrayBuffer();
        status = res.status;
      } catch (error) {
        status = (error as Error).name === 'TimeoutError' ? 'timeout' : 'error';
        await sleep(50);
      }
      this.samples.push({ route, at: Date.now(), status });
    }
  }
}

/** /health/ready every 250 ms: when it said `ok` with all three dependencies up. */
class ReadinessProbe {
  readonly samples: { at: number; status: number; body: string }[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly base: string) {}

  start(): void {
    const tick = async () => {
      try {
        const res = await fetch(`${this.base}/health/ready`, { signal: AbortSignal.timeout(2_000) });
        this.samples.push({ at: Date.now(), status: res.status, body: await res.text() });
      } catch {
        this.samples.push({ at: Date.now(), status: 0, body: '' });
      }
      if (this.timer) this.timer = setTimeout(() => void tick(), 250);
    };
    this.timer = setTimeout(() => void tick(), 0);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** First sample at or after `from` whose body says every dependency is up. */
  allUpAfter(from: number): number | null {
    const s = this.samples.find((x) => x.at >= from && x.status === 200 && /"status"\s*:\s*"ok"/.test(x.body));
    return s ? s.at - from : null;
  }
}

// ------------------------------------------------------------------ report

interface Phase {
  dependency: string;
  before: [number, number];
  during: [number, number];
  after: [number, number];
  /** When the dependency answered again. */
  backAt: number;
}

const isFailure = (s: Sample['status']) => typeof s !== 'number' || s >= 500;

function counts(samples: Sample[], route: Route, [from, to]: [number, number]): string {
  const m = new Map<string, number>();
  for (const s of samples) if (s.route === route && s.at >= from && s.at < to) m.set(String(s.status), (m.get(String(s.status)) ?? 0) + 1);
  if (m.size === 0) return '-';
  return [...m]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}:${v}`)
    .join(' ');
}

/** ms from the dependency's return to the route's last failing answer (0: none failed after it returned); null if still failing at the end. */
function recovery(samples: Sample[], route: Route, phase: Phase): number | null {
  const after = samples.filter((s) => s.route === route && s.at >= phase.backAt && s.at < phase.after[1]);
  const lastFailure = after.reduce((t, s) => (isFailure(s.status) ? s.at : t), 0);
  if (lastFailure === 0) return 0;
  const tail = after.filter((s) => s.at > lastFailure);
  return tail.length === 0 ? null : lastFailure - phase.backAt;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

// ------------------------------------------------------------------ main

async function main(): Promise<void> {
  if (!existsSync(join(PG_BIN, 'postgres')))
    throw new Error(`no PostgreSQL binaries in ${PG_BIN} (apt-get install postgresql-15, or set PG_BIN)`);
  if (spawnSync('redis-server', ['--version']).status !== 0) throw new Error('redis-server is not installed');

  const dir = mkdtempSync(join(tmpdir(), 'nest-commerce-chaos-'));
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'redis'));
  const stack: Stack = {
    dir,
    redisPort: await freePort(),
    primaryPort: await freePort(),
    replicaPort: await freePort(),
    apiPort: await freePort(),
    redis: null,
    api: null,
  };
  cleanups.push(() => {
    if (process.env.CHAOS_KEEP) console.error(`chaos: kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  });
  cleanups.push(() => {
    for (const name of ['replica', 'primary'] as const) {
      if (pgRunning(stack, name)) {
        try {
          stopPg(stack, name, 'immediate');
        } catch {
          // already gone
        }
      }
    }
  });
  cleanups.push(() => stack.redis?.kill('SIGKILL'));
  cleanups.push(() => stack.api?.kill('SIGKILL'));
  log(`stack in ${dir}: redis ${stack.redisPort}, primary ${stack.primaryPort}, replica ${stack.replicaPort}, api ${stack.apiPort}`);

  if (!process.env.CHAOS_SKIP_BUILD) {
    log('build: npm run build');
    run('npm', ['run', '--silent', 'build'], {}, 'npm run build');
  }
  await startRedis(stack);
  await provisionPostgres(stack);
  log('services: redis, primary and streaming replica up');

  const env: Record<string, string> = {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(stack.apiPort),
    LOG_LEVEL: 'warn',
    JWT_SECRET: randomBytes(32).toString('hex'),
    DB_PRIMARY_URL: `postgres://postgres@127.0.0.1:${stack.primaryPort}/commerce`,
    DB_REPLICA_URL: `postgres://postgres@127.0.0.1:${stack.replicaPort}/commerce`,
    REDIS_URL: `redis://127.0.0.1:${stack.redisPort}/0`,
    // One Redis for everything, so stopping it takes the cache, carts and limits down together.
    REDIS_CACHE_URL: '',
    REDIS_KEY_PREFIX: 'chaos',
    SWAGGER_ENABLED: 'false',
    // Rate limits out of the load's way (every limiter still runs).
    THROTTLE_LIMIT: '1000000',
    THROTTLE_TTL_SECONDS: '1',
    REGISTER_THROTTLE_IP_LIMIT: '1000000',
    LOGIN_THROTTLE_IP_LIMIT: '1000000',
    LOGIN_THROTTLE_EMAIL_LIMIT: '1000000',
    PASSWORD_HASH_MAX_WAIT_MS: '60000',
  };
  run(process.execPath, ['dist/libs/database/src/cli/migrate.js'], env, 'migrate');
  run(process.execPath, ['dist/apps/cli/src/seed.js'], env, 'seed');
  const adminEmail = `chaos-admin-${randomUUID().slice(0, 8)}@example.com`;
  const adminPassword = randomBytes(12).toString('hex');
  run(process.execPath, ['dist/apps/cli/src/create-admin.js', '--email', adminEmail, '--password', adminPassword], env, 'admin:create');

  const apiLog = openSync(join(dir, 'api.log'), 'a');
  stack.api = spawn(process.execPath, ['dist/apps/api/src/main.js'], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    stdio: ['ignore', apiLog, apiLog],
  });
  let apiExit: { at: number; code: number | null; signal: string | null } | null = null;
  stack.api.once('exit', (code, signal) => (apiExit = { at: Date.now(), code, signal }));
  const base = `http://127.0.0.1:${stack.apiPort}`;
  for (let i = 0; ; i++) {
    if (stack.api.exitCode !== null) throw new Error(`the API exited (${stack.api.exitCode}); see ${join(dir, 'api.log')}`);
    try {
      if ((await fetch(`${base}/health/ready`)).ok) break;
    } catch {
      // starting
    }
    if (i > 300) throw new Error('the API did not become ready in 60 s');
    await sleep(200);
  }
  log(`api: ready on ${base}`);

  // Fixtures: stock raised on the products the load buys, one user per client.
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}, method = 'POST') => {
    const res = await fetch(base + path, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text);
  };
  const admin = await post('/api/v1/auth/login', { email: adminEmail, password: adminPassword });
  const list = (await (await fetch(`${base}/api/v1/products?limit=40`)).json()) as { items: { id: string }[] };
  const productIds = list.items.map((p) => p.id);
  await post(
    '/api/v1/products/inventory',
    { items: productIds.map((productId) => ({ productId, stock: 1_000_000_000 })) },
    { authorization: `Bearer ${admin.accessToken}` },
    'PATCH',
  );
  const clients: Client[] = [];
  for (let i = 0; i < CONCURRENCY; i++) {
    const user = await post('/api/v1/auth/register', {
      email: `chaos-${i}-${randomUUID().slice(0, 8)}@example.com`,
      password: randomBytes(12).toString('hex'),
      name: `Chaos ${i}`,
    });
    clients.push({ token: user.accessToken });
  }
  log(
    `load: ${CONCURRENCY} clients over ${productIds.length} products; windows: before ${BASELINE_MS / 1000} s, outage ${OUTAGE_MS / 1000} s, after ${SETTLE_MS / 1000} s`,
  );

  const load = new Load(base, clients, productIds);
  const probe = new ReadinessProbe(base);
  load.start();
  probe.start();
  const phases: Phase[] = [];

  const outage = async (dependency: string, stop: () => Promise<void>, start: () => Promise<void>) => {
    const beforeStart = Date.now();
    await sleep(phases.length === 0 ? BASELINE_MS : 0);
    const downAt = Date.now();
    log(`${dependency}: stopping`);
    await stop();
    await sleep(OUTAGE_MS);
    log(`${dependency}: starting`);
    const upRequested = Date.now();
    await start();
    const backAt = Date.now();
    log(`${dependency}: back (${backAt - upRequested} ms to start)`);
    await sleep(SETTLE_MS);
    const before: [number, number] = phases.length === 0 ? [beforeStart, downAt] : phases[phases.length - 1].after;
    phases.push({ dependency, before, during: [downAt, backAt], after: [backAt, Date.now()], backAt });
  };

  await outage(
    'redis',
    async () => {
      await stopChild(stack.redis);
    },
    async () => {
      await startRedis(stack);
    },
  );
  await outage(
    'replica',
    async () => stopPg(stack, 'replica'),
    async () => startPg(stack, 'replica'),
  );
  await outage(
    'primary',
    async () => stopPg(stack, 'primary'),
    async () => startPg(stack, 'primary'),
  );

  await load.stop();
  probe.stop();

  // ---------------------------------------------------------------- report
  const samples = load.samples;
  let unrecovered = 0;
  const lines: string[] = [];
  lines.push('');
  lines.push(`chaos: ${samples.length} requests, ${CONCURRENCY} clients, outages of ${OUTAGE_MS / 1000} s`);
  for (const phase of phases) {
    const ready = probe.allUpAfter(phase.backAt);
    lines.push('');
    lines.push(
      `== ${phase.dependency} down ${((phase.during[1] - phase.during[0]) / 1000).toFixed(1)} s; /health/ready back to "ok" ${ready === null ? 'never' : `${ready} ms`} after it returned`,
    );
    lines.push(`${pad('route', 20)}${pad('before', 30)}${pad('during', 40)}${pad('after', 30)}recovered`);
    for (const route of ROUTES) {
      const rec = recovery(samples, route, phase);
      if (rec === null) unrecovered++;
      lines.push(
        `${pad(route, 20)}${pad(counts(samples, route, phase.before), 30)}${pad(counts(samples, route, phase.during), 40)}${pad(counts(samples, route, phase.after), 30)}${rec === null ? 'NOT RECOVERED' : rec === 0 ? 'no failure after return' : `${rec} ms`}`,
      );
    }
  }
  const statuses = new Map<string, number>();
  for (const s of samples)
    if (typeof s.status === 'number' && s.status >= 500 && s.status !== 503)
      statuses.set(`${s.route} ${s.status}`, (statuses.get(`${s.route} ${s.status}`) ?? 0) + 1);
  const bad = [...statuses.values()].reduce((a, b) => a + b, 0);
  lines.push('');
  lines.push(
    bad
      ? `chaos: FAIL, ${bad} answers with a 5xx other than 503: ${[...statuses].map(([k, v]) => `${k} ×${v}`).join(', ')}`
      : 'chaos: no 5xx other than 503',
  );
  if (unrecovered) lines.push(`chaos: FAIL, ${unrecovered} route(s) still failing at the end of their window`);
  const exited = apiExit as { at: number; code: number | null; signal: string | null } | null;
  if (exited) {
    const phase = phases.find((p) => exited.at >= p.during[0] && exited.at < p.after[1]);
    const tail = readFileSync(join(dir, 'api.log'), 'utf8').split('\n').slice(-25).join('\n');
    lines.push(
      `chaos: FAIL, the API process exited (code ${exited.code}, signal ${exited.signal})${phase ? ` during the ${phase.dependency} outage or its aftermath` : ''}; the end of its log:\n${tail}`,
    );
  }
  console.log(lines.join('\n'));
  if (bad || unrecovered || exited) {
    console.log(`chaos: API log: ${join(dir, 'api.log')}${process.env.CHAOS_KEEP ? '' : ' (set CHAOS_KEEP=1 to keep it)'}`);
    process.exitCode = 1;
  }
  await stopChild(stack.api);
  stack.api = null;
}

main()
  .catch((error: unknown) => {
    console.error(`chaos: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
  })
  .finally(() => {
    cleanup();
    process.exit(process.exitCode ?? 0);
  });
