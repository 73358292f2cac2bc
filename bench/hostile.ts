/**
 * Hostile-body benchmark: `npm run bench:hostile` (tsx bench/hostile.ts [--quick]). Builds dist when
 * missing; needs the local services (`npm run services`).
 *
 * In a database and Redis key prefix of its own, starts the built API in its default configuration
 * (through scripts/start-api.sh, as bench:http; 64 KiB body limit, 256 KiB on the admin writes,
 * 1,000 keys per object, depth 32) with the rate
 * limits raised out of the way (RAISED_LIMITS in bench/lib/settings.ts) and LOG_LEVEL=warn, makes
 * one admin, then measures over real TCP connections (raw keep-alive sockets; a connection the API
 * closes after a refusal is reopened before the next request, outside the timing; one it cuts
 * while the client is still writing a body it refused with 413 unread counts as that refusal,
 * "reset", at the time of the cut):
 *   1. Refusals, sequentially (BENCH_REQUESTS each, after a short warm-up): the time from the first
 *      byte sent to the complete answer, p50/p99/max, and the statuses, of
 *        - the 40,000-key body (`{"k0":1,…}`, 429 KB) to POST /api/v1/auth/login (413, size)
 *        - the same body to PATCH /api/v1/products/inventory as admin (413: over the route's 256 KiB)
 *        - the largest body of that shape within 256 KiB to the inventory route (400: the parser's
 *          limit of 1,000 keys per object; the whole body is received and scanned)
 *        - a 1 MB body to login (413) and a body nested 3,000 deep to login (400, depth 32)
 *      each against the reference of its route in the same run, request for request alternated with
 *      it on a second connection: `{}` to the same route, refused by validation (400), printed as
 *      a ratio (a wrong-password login would measure argon2, not the edge).
 *   2. GET /health/live polled every BENCH_POLL_MS (10 ms) on a connection of its own, from a
 *      worker thread (so the senders do not delay the poller's own event loop), for BENCH_LOAD_MS
 *      each: idle; while BENCH_SENDERS (4) connections send, in a closed loop, the `{}` reference;
 *      the 40,000-key body to login; every hostile body above in turn. p50/p99/max of the polls,
 *      and the API's CPU.
 * Goals: the 40,000-key body refused with p99 < 10 ms (and the structure refusal on the inventory
 * route too); /health/live p99 while it is sent ≤ 2× its p99 under the same load of `{}` (the same
 * senders sending small bodies: what any traffic at that rate costs the two cores), or ≤ 10 ms; its
 * ratio to the idle p99 is printed too. A hostile or
 * reference request answered with another status than expected, or a failed poll, fails the bench.
 * Writes bench/results/hostile.json (bench/results/quick/ in short mode).
 *
 * BENCH_REQUESTS / BENCH_WARMUP_REQUESTS / BENCH_LOAD_MS / BENCH_SENDERS / BENCH_POLL_MS change the
 * run; BENCH_API_MAIN runs another build of the API instead of dist/ (with plain node).
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { createBenchStack, writeResults } from './lib/bench-stack.js';
import {
  cpuMs,
  freePort,
  loadEnvDefaults,
  percentile,
  API_BUNDLE,
  start,
  startApi,
  stop,
  waitHttp,
  type Started,
} from './lib/processes.js';
import { RAISED_LIMITS, resultsFile, setting } from './lib/settings.js';

loadEnvDefaults();
const API = process.env.BENCH_API_MAIN ?? API_BUNDLE;
const RESULTS = resultsFile('hostile');
const REQUESTS = setting('BENCH_REQUESTS', 200, 50);
const WARMUP_REQUESTS = setting('BENCH_WARMUP_REQUESTS', 50, 20);
const LOAD_MS = setting('BENCH_LOAD_MS', 10_000, 3_000);
const SENDERS = setting('BENCH_SENDERS', 4, 4);
const POLL_MS = setting('BENCH_POLL_MS', 10, 10);
/** Goals: refusal p99 of the 40,000-key body; /health/live p99 under it vs under the same load of `{}`, or absolute. */
const REFUSAL_GOAL_MS = 10;
const HEALTH_GOAL_RATIO = 2;
const HEALTH_GOAL_MS = 10;
/** ADMIN_WRITE_BODY_LIMIT of apps/api/src/http/body-parsers.ts (the inventory route's own limit). */
const ADMIN_WRITE_BODY_LIMIT = 256 * 1024;

const LOGIN = '/api/v1/auth/login';
const INVENTORY = '/api/v1/products/inventory';

/** `{"k0":1,"k1":1,…}`, as manyKeys() of test/e2e/http-hardening.e2e-spec.ts: 40,000 keys are 428,891 bytes. */
const manyKeys = (n: number): string => `{${Array.from({ length: n }, (_, i) => `"k${i}":1`).join(',')}}`;

/** The largest n for which manyKeys(n) fits in `bytes`. */
function keysWithin(bytes: number): number {
  let n = 0;
  for (let size = 2; size + (n ? 1 : 0) + `"k${n}":1`.length <= bytes; n++) size += (n ? 1 : 0) + `"k${n}":1`.length;
  return n;
}

interface Kind {
  name: string;
  label: string;
  method: 'POST' | 'PATCH';
  path: string;
  body: string;
  expected: number;
  admin: boolean;
}

interface Answer {
  /** HTTP status, or RESET. */
  status: number;
  ms: number;
}

/** The status recorded for a request whose connection the server cut before the answer was read. */
const RESET = 0;

/**
 * One keep-alive connection, one request at a time: the time runs from the first byte written to
 * the last byte of the answer (Content-Length framing). A connection the server closes (it does
 * after a 413, whose body it did not read) is reopened before the next request, outside the time.
 */
class Connection {
  private socket: net.Socket | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private pending: { sentAt: number; resolve: (a: Answer) => void } | undefined;
  /** Connections the server closed after an answer (`connection: close`). */
  closedByServer = 0;
  /** Requests whose connection was cut before the answer arrived. */
  resets = 0;

  constructor(private readonly port: number) {}

  private open(): Promise<net.Socket> {
    return new Promise((resolveOpen, rejectOpen) => {
      const socket = net.connect(this.port, '127.0.0.1');
      socket.setNoDelay(true);
      this.buffer = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => this.onData(socket, chunk));
      socket.on('error', (error) => {
        rejectOpen(error);
        this.cut(socket);
      });
      socket.on('close', () => this.cut(socket));
      socket.once('connect', () => resolveOpen(socket));
    });
  }

  /**
   * The server hung up before its answer was read: a refusal too (status 0, "reset"). It happens
   * when the API answers 413 and closes while the client is still writing a large body: the write
   * fails (EPIPE, ECONNRESET) and the answer in flight is lost with the connection.
   */
  private cut(socket: net.Socket): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    const pending = this.pending;
    this.pending = undefined;
    if (pending) {
      this.resets++;
      pending.resolve({ status: RESET, ms: performance.now() - pending.sentAt });
    }
  }

  private onData(socket: net.Socket, chunk: Buffer): void {
    if (this.socket !== socket) return;
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end === -1 || !this.pending) return;
    const head = this.buffer.subarray(0, end).toString('latin1');
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
    if (this.buffer.length < end + 4 + length) return;
    const ms = performance.now() - this.pending.sentAt;
    const status = Number(head.slice(9, 12));
    this.buffer = this.buffer.subarray(end + 4 + length);
    if (/\r\nconnection:\s*close/i.test(head)) {
      // The server closes this one: take it out before its close event, reopen on the next request.
      this.closedByServer++;
      this.socket = undefined;
      socket.destroy();
    }
    const pending = this.pending;
    this.pending = undefined;
    pending.resolve({ status, ms });
  }

  async send(request: Buffer): Promise<Answer> {
    if (!this.socket || this.socket.destroyed) this.socket = await this.open();
    const socket = this.socket;
    return new Promise((resolveAnswer) => {
      this.pending = { sentAt: performance.now(), resolve: resolveAnswer };
      socket.write(request);
    });
  }

  close(): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.destroy();
  }
}

function httpRequest(port: number, method: string, path: string, body: string, headers: Record<string, string> = {}): Buffer {
  const all: Record<string, string> = {
    host: `127.0.0.1:${port}`,
    connection: 'keep-alive',
    ...headers,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
  };
  return Buffer.from(
    `${method} ${path} HTTP/1.1\r\n${Object.entries(all)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('')}\r\n${body}`,
  );
}

interface Latency {
  requests: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  statuses: Record<string, number>;
}

function latency(answers: Answer[]): Latency {
  const ms = answers.map((a) => a.ms);
  const statuses: Record<string, number> = {};
  for (const a of answers) statuses[a.status] = (statuses[a.status] ?? 0) + 1;
  return {
    requests: answers.length,
    p50Ms: round2(percentile(ms, 50)),
    p99Ms: round2(percentile(ms, 99)),
    maxMs: round2(Math.max(...ms)),
    statuses,
  };
}

/**
 * Fails the bench when an answer was not the expected status. A 413 is answered before the body is
 * read, so a connection cut while the client still sends the body counts as that refusal.
 */
function expectStatus(what: string, statuses: Record<string, number>, expected: number): void {
  const other = Object.entries(statuses).filter(([s]) => Number(s) !== expected && !(expected === 413 && Number(s) === RESET));
  if (other.length) throw new Error(`${what}: expected every answer to be ${expected}, got ${statusText(statuses)}`);
}

/** Polls GET /health/live every `everyMs` (a request as soon as the previous answer when it took longer). Plain JS, run in a worker. */
const POLLER = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const { performance } = require('node:perf_hooks');
const { port, durationMs, everyMs } = workerData;
const request = Buffer.from('GET /health/live HTTP/1.1\\r\\nhost: 127.0.0.1:' + port + '\\r\\nconnection: keep-alive\\r\\n\\r\\n');
const latencies = [];
const statuses = {};
let errors = 0;
const socket = net.connect(port, '127.0.0.1');
socket.setNoDelay(true);
let buffer = Buffer.alloc(0);
let sentAt = 0;
let end = 0;
const send = () => {
  if (performance.now() >= end) {
    socket.destroy();
    parentPort.postMessage({ latencies, statuses, errors });
    return;
  }
  sentAt = performance.now();
  socket.write(request);
};
socket.on('connect', () => {
  end = performance.now() + durationMs;
  send();
});
socket.on('data', (chunk) => {
  buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
  const headEnd = buffer.indexOf('\\r\\n\\r\\n');
  if (headEnd === -1) return;
  const head = buffer.subarray(0, headEnd).toString('latin1');
  const length = Number((/\\r\\ncontent-length:\\s*(\\d+)/i.exec(head) || [])[1] || 0);
  if (buffer.length < headEnd + 4 + length) return;
  buffer = buffer.subarray(headEnd + 4 + length);
  const ms = performance.now() - sentAt;
  latencies.push(ms);
  const status = head.slice(9, 12);
  statuses[status] = (statuses[status] || 0) + 1;
  setTimeout(send, Math.max(0, everyMs - ms));
});
socket.on('error', () => {
  errors++;
  parentPort.postMessage({ latencies, statuses, errors });
});
`;

interface Poll {
  polls: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  statuses: Record<string, number>;
  errors: number;
}

function poll(port: number, durationMs: number): Promise<Poll> {
  return new Promise((resolvePoll, reject) => {
    const worker = new Worker(POLLER, { eval: true, workerData: { port, durationMs, everyMs: POLL_MS } });
    worker.once('message', (m: { latencies: number[]; statuses: Record<string, number>; errors: number }) => {
      void worker.terminate();
      resolvePoll({
        polls: m.latencies.length,
        p50Ms: round2(percentile(m.latencies, 50)),
        p99Ms: round2(percentile(m.latencies, 99)),
        maxMs: round2(Math.max(...m.latencies)),
        statuses: m.statuses,
        errors: m.errors,
      });
    });
    worker.once('error', reject);
  });
}

/** `senders` connections each sending the next of `requests` (in turn) as soon as the last was answered, until `stopped()`. */
async function sendLoop(
  port: number,
  senders: number,
  requests: { name: string; request: Buffer }[],
  stopped: () => boolean,
): Promise<Record<string, Answer[]>> {
  const byName: Record<string, Answer[]> = Object.fromEntries(requests.map((r) => [r.name, []]));
  await Promise.all(
    Array.from({ length: senders }, async (_, sender) => {
      const connection = new Connection(port);
      try {
        for (let i = sender; !stopped(); i++) {
          const r = requests[i % requests.length];
          byName[r.name].push(await connection.send(r.request));
        }
      } finally {
        connection.close();
      }
    }),
  );
  return byName;
}

/** /health/live polled for LOAD_MS while `senders` connections send `requests` in a loop; with the API's CPU over the window. */
async function pollUnderLoad(
  port: number,
  apiPid: number,
  requests: { name: string; request: Buffer }[],
): Promise<{ health: Poll; sent: Record<string, Latency>; apiCpuPercent: number }> {
  let stopped = false;
  const cpuBefore = cpuMs(apiPid);
  const t = performance.now();
  const loop = sendLoop(port, SENDERS, requests, () => stopped);
  loop.catch(() => undefined); // awaited below, after the polls
  const health = await poll(port, LOAD_MS);
  stopped = true;
  const byName = await loop;
  const apiCpuPercent = Math.round(((cpuMs(apiPid) - cpuBefore) / (performance.now() - t)) * 100);
  return { health, sent: Object.fromEntries(Object.entries(byName).map(([n, a]) => [n, latency(a)])), apiCpuPercent };
}

async function main(): Promise<void> {
  const started = Date.now();
  const stack = await createBenchStack({ ...RAISED_LIMITS });
  let api: Started | undefined;
  try {
    const port = await freePort();
    const env = { ...stack.env, PORT: String(port), HOST: '127.0.0.1' };
    // As users start it (scripts/start-api.sh: its V8 and malloc settings), unless another build is asked for.
    api = API === API_BUNDLE ? startApi(env) : start(process.execPath, [API], env);
    await waitHttp(port, '/health/ready', api);
    const apiPid = api.child.pid!;
    const adminToken = await makeAdmin(port, stack.env.DB_PRIMARY_URL);

    const inventoryKeys = keysWithin(ADMIN_WRITE_BODY_LIMIT);
    const kinds: Kind[] = [
      {
        name: 'login40kKeys',
        label: '40,000-key body → login',
        method: 'POST',
        path: LOGIN,
        body: manyKeys(40_000),
        expected: 413,
        admin: false,
      },
      {
        name: 'inventory40kKeys',
        label: '40,000-key body → inventory (admin)',
        method: 'PATCH',
        path: INVENTORY,
        body: manyKeys(40_000),
        expected: 413,
        admin: true,
      },
      {
        name: 'inventoryKeysWithinLimit',
        label: `${fmt(inventoryKeys)}-key body → inventory (admin)`,
        method: 'PATCH',
        path: INVENTORY,
        body: manyKeys(inventoryKeys),
        expected: 400,
        admin: true,
      },
      {
        name: 'login1MB',
        label: '1 MB body → login',
        method: 'POST',
        path: LOGIN,
        body: JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(1_000_000) }),
        expected: 413,
        admin: false,
      },
      {
        name: 'loginDeep3000',
        label: '3,000-deep body → login',
        method: 'POST',
        path: LOGIN,
        body: `{"email":"a@example.com","password":${'['.repeat(3000)}${']'.repeat(3000)}}`,
        expected: 400,
        admin: false,
      },
    ];
    const auth = { authorization: `Bearer ${adminToken}` };
    const requestOf = (k: Pick<Kind, 'method' | 'path' | 'admin'>, body: string): Buffer =>
      httpRequest(port, k.method, k.path, body, k.admin ? auth : {});
    const reference = (k: Kind): Buffer => requestOf(k, '{}');

    console.log(
      `hostile: ${REQUESTS} sequential requests per body (+${WARMUP_REQUESTS} warm-up), alternated with the route's \`{}\` reference; ` +
        `/health/live every ${POLL_MS} ms for ${LOAD_MS} ms idle, under ${SENDERS} senders of \`{}\`, under ${SENDERS} senders of the hostile bodies`,
    );

    // 1. Refusals, alternated request by request with the reference of the same route.
    const refusals: Record<string, unknown> = {};
    const table: string[] = [];
    for (const k of kinds) {
      const hostile = new Connection(port);
      const ref = new Connection(port);
      const request = requestOf(k, k.body);
      const refRequest = reference(k);
      const answers: Answer[] = [];
      const refAnswers: Answer[] = [];
      for (let i = 0; i < WARMUP_REQUESTS + REQUESTS; i++) {
        const pair = i % 2 ? [ref, hostile] : [hostile, ref];
        for (const c of pair) {
          const a = await c.send(c === hostile ? request : refRequest);
          if (i >= WARMUP_REQUESTS) (c === hostile ? answers : refAnswers).push(a);
        }
      }
      hostile.close();
      ref.close();
      const h = latency(answers);
      const r = latency(refAnswers);
      expectStatus(k.label, h.statuses, k.expected);
      expectStatus(`${k.label} reference \`{}\``, r.statuses, 400);
      const p50Ratio = round2(h.p50Ms / r.p50Ms);
      const p99Ratio = round2(h.p99Ms / r.p99Ms);
      refusals[k.name] = {
        label: k.label,
        route: `${k.method} ${k.path}`,
        bodyBytes: Buffer.byteLength(k.body),
        expectedStatus: k.expected,
        ...h,
        connectionsClosedByServer: hostile.closedByServer,
        resets: hostile.resets,
        reference: { body: '{}', ...r },
        p50Ratio,
        p99Ratio,
      };
      table.push(
        `| ${k.label} | ${fmtBytes(Buffer.byteLength(k.body))} | ${statusText(h.statuses)} | ${h.p50Ms.toFixed(2)} | ${h.p99Ms.toFixed(2)} | ${h.maxMs.toFixed(2)} | ` +
          `${r.p50Ms.toFixed(2)} / ${r.p99Ms.toFixed(2)} | ${p50Ratio.toFixed(2)}× / ${p99Ratio.toFixed(2)}× |`,
      );
      console.log(
        `  ${k.label}: ${statusText(h.statuses)}, p50 ${h.p50Ms.toFixed(2)} ms, p99 ${h.p99Ms.toFixed(2)} ms (reference p50 ${r.p50Ms.toFixed(2)}, p99 ${r.p99Ms.toFixed(2)} ms)`,
      );
    }

    // 2. /health/live idle; under a load of small refused bodies (the reference); under the
    // 40,000-key body to login (the goal); under every hostile body in turn.
    const idle = await poll(port, LOAD_MS);
    const loads = {
      smallBodyLoad: await pollUnderLoad(port, apiPid, [{ name: 'reference', request: reference(kinds[0]) }]),
      keys40kLoad: await pollUnderLoad(port, apiPid, [{ name: kinds[0].name, request: requestOf(kinds[0], kinds[0].body) }]),
      hostileLoad: await pollUnderLoad(
        port,
        apiPid,
        kinds.map((k) => ({ name: k.name, request: requestOf(k, k.body) })),
      ),
    };
    for (const [name, p] of [['idle', idle], ...Object.entries(loads).map(([n, l]) => [n, l.health] as const)] as const) {
      if (p.errors || Object.keys(p.statuses).some((s) => s !== '200'))
        throw new Error(`/health/live ${name}: ${JSON.stringify(p.statuses)}, ${p.errors} connection error(s)`);
    }
    expectStatus('`{}` load', loads.smallBodyLoad.sent.reference.statuses, 400);
    expectStatus('40,000-key load', loads.keys40kLoad.sent[kinds[0].name].statuses, kinds[0].expected);
    for (const k of kinds) expectStatus(`${k.label} under load`, loads.hostileLoad.sent[k.name].statuses, k.expected);

    const vsIdle = (l: { health: Poll }): number => round2(l.health.p99Ms / idle.p99Ms);
    const keysRatio = vsIdle(loads.keys40kLoad);
    const headline = refusals.login40kKeys as Latency;
    const structure = refusals.inventoryKeysWithinLimit as Latency;
    const refusalMet = headline.p99Ms < REFUSAL_GOAL_MS;
    const structureMet = structure.p99Ms < REFUSAL_GOAL_MS;
    const keysToSmall = round2(loads.keys40kLoad.health.p99Ms / loads.smallBodyLoad.health.p99Ms);
    const healthMet = keysToSmall <= HEALTH_GOAL_RATIO || loads.keys40kLoad.health.p99Ms <= HEALTH_GOAL_MS;
    const sent = (l: { sent: Record<string, Latency> }): number => Object.values(l.sent).reduce((n, x) => n + x.requests, 0);

    console.log(
      '\n| body → route | size | status | p50 ms | p99 ms | max ms | reference `{}` → 400, p50 / p99 ms | ratio p50 / p99 |\n| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const line of table) console.log(line);
    console.log(
      `\n| GET /health/live every ${POLL_MS} ms, while | polls | p50 ms | p99 ms | max ms | p99 vs idle | API CPU | requests sent |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`,
    );
    console.log(
      `| idle | ${fmt(idle.polls)} | ${idle.p50Ms.toFixed(2)} | ${idle.p99Ms.toFixed(2)} | ${idle.maxMs.toFixed(2)} | 1.00× | — | — |`,
    );
    const labels: Record<keyof typeof loads, string> = {
      smallBodyLoad: `${SENDERS} senders: \`{}\` → login (400)`,
      keys40kLoad: `${SENDERS} senders: 40,000-key body → login (413)`,
      hostileLoad: `${SENDERS} senders: the ${kinds.length} hostile bodies in turn`,
    };
    for (const [name, l] of Object.entries(loads) as [keyof typeof loads, (typeof loads)[keyof typeof loads]][]) {
      const p = l.health;
      console.log(
        `| ${labels[name]} | ${fmt(p.polls)} | ${p.p50Ms.toFixed(2)} | ${p.p99Ms.toFixed(2)} | ${p.maxMs.toFixed(2)} | ${vsIdle(l).toFixed(2)}× | ${l.apiCpuPercent} % | ${fmt(sent(l))} |`,
      );
    }
    console.log(
      `\n40,000-key body (${fmtBytes(Buffer.byteLength(kinds[0].body))}) → login: refused in p99 ${headline.p99Ms.toFixed(2)} ms (p50 ${headline.p50Ms.toFixed(2)} ms); goal < ${REFUSAL_GOAL_MS} ms: ${refusalMet ? 'met' : 'NOT met'}`,
    );
    console.log(
      `${fmt(inventoryKeys)}-key body → inventory (keys limit, 400): p99 ${structure.p99Ms.toFixed(2)} ms; goal < ${REFUSAL_GOAL_MS} ms: ${structureMet ? 'met' : 'NOT met'}`,
    );
    console.log(
      `health/live p99 ${loads.keys40kLoad.health.p99Ms.toFixed(2)} ms under hostile load (40,000-key body) vs ${loads.smallBodyLoad.health.p99Ms.toFixed(2)} ms under the same load of \`{}\` ` +
        `(${keysToSmall.toFixed(2)}×) and ${idle.p99Ms.toFixed(2)} ms idle (${keysRatio.toFixed(2)}×); ${loads.hostileLoad.health.p99Ms.toFixed(2)} ms under every hostile body in turn; ` +
        `goal ≤ ${HEALTH_GOAL_RATIO}× the \`{}\` load or ≤ ${HEALTH_GOAL_MS} ms: ${healthMet ? 'met' : 'NOT met'}`,
    );

    writeResults(RESULTS, {
      settings: {
        requests: REQUESTS,
        warmupRequests: WARMUP_REQUESTS,
        loadMs: LOAD_MS,
        senders: SENDERS,
        pollMs: POLL_MS,
        apiEnv: RAISED_LIMITS,
      },
      refusals,
      health: {
        idle,
        p99RatioKeys40kToSmallBodyLoad: keysToSmall,
        ...Object.fromEntries(
          Object.entries(loads).map(([n, l]) => [
            n,
            { ...l.health, apiCpuPercent: l.apiCpuPercent, sent: l.sent, p99RatioToIdle: vsIdle(l) },
          ]),
        ),
      },
      goals: {
        refusalP99Ms: REFUSAL_GOAL_MS,
        healthP99RatioToSmallBodyLoad: HEALTH_GOAL_RATIO,
        healthP99Ms: HEALTH_GOAL_MS,
        refusalMet,
        structureRefusalMet: structureMet,
        healthMet,
      },
      seconds: Math.round((Date.now() - started) / 1000),
    });
  } finally {
    if (api) await stop(api.child);
    await stack.cleanup();
  }
}

/** Registers a user, makes it an admin in the database and returns an access token carrying the role. */
async function makeAdmin(port: number, dbUrl: string): Promise<string> {
  const post = async <T>(path: string, body: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  const reg = await post<{ user: { id: string }; refreshToken: string }>('/api/v1/auth/register', {
    email: `bench-${randomUUID()}@example.com`,
    password: `pw-${randomUUID()}`,
    name: 'Bench Admin',
  });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${JSON.stringify(reg.body)}`);
  const db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  try {
    await db.query(`UPDATE identity.users SET role = 'admin' WHERE id = $1`, [reg.body.user.id]);
  } finally {
    await db.end();
  }
  const refreshed = await post<{ accessToken: string }>('/api/v1/auth/refresh', { refreshToken: reg.body.refreshToken });
  if (refreshed.status !== 200 && refreshed.status !== 201)
    throw new Error(`refresh: ${refreshed.status} ${JSON.stringify(refreshed.body)}`);
  return refreshed.body.accessToken;
}

const statusText = (statuses: Record<string, number>): string =>
  Object.entries(statuses)
    .map(([s, n]) => `${Number(s) === RESET ? 'reset' : s} ×${n}`)
    .join(', ');
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const fmtBytes = (n: number): string => (n >= 1_000_000 ? `${(n / 1_000_000).toFixed(2)} MB` : `${Math.round(n / 1000)} KB`);
const round2 = (n: number): number => Math.round(n * 100) / 100;

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench:hostile failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
