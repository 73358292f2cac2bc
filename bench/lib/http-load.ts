import net from 'node:net';
import { performance } from 'node:perf_hooks';

export interface LoadOptions {
  port: number;
  host?: string;
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
  connections: number;
  durationMs: number;
  warmupMs?: number;
}

export interface LoadResult {
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Responses that were not 2xx, by status. */
  non2xx: Record<string, number>;
}

/**
 * A small closed-loop HTTP/1.1 load generator: `connections` keep-alive sockets, each sending the
 * same prebuilt request as soon as the previous response is complete (Content-Length framing).
 * Raw sockets keep the client cheap, so the server, not the client, is what gets measured.
 */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const request = buildRequest(opts);
  const loop = { ...opts, request: () => request };
  if (opts.warmupMs) await closedLoop({ ...loop, durationMs: opts.warmupMs });
  const run = await closedLoop(loop);
  if (run.errors) throw new Error(`${run.errors} connection(s) failed during the load`);
  const non2xx = Object.fromEntries(Object.entries(run.byStatus).filter(([status]) => Number(status) < 200 || Number(status) > 299));
  return { ...summarize(run), non2xx };
}

function buildRequest(opts: LoadOptions): Buffer {
  const body = opts.body === undefined ? '' : JSON.stringify(opts.body);
  const headers: Record<string, string> = { host: `${opts.host ?? '127.0.0.1'}:${opts.port}`, connection: 'keep-alive', ...opts.headers };
  if (body) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(body));
  }
  const head = `${opts.method} ${opts.path} HTTP/1.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
  return Buffer.from(head + body);
}

export interface ClosedLoopOptions {
  port: number;
  host?: string;
  connections: number;
  durationMs: number;
  /** The next request's bytes (called once per request). */
  request: () => Buffer;
}

export interface ClosedLoopRun {
  latencies: number[];
  byStatus: Record<string, number>;
  errors: number;
  elapsedMs: number;
}

/** The shared engine: keep-alive sockets, each sending its next request when the last response is complete. */
export async function closedLoop(opts: ClosedLoopOptions): Promise<ClosedLoopRun> {
  const latencies: number[] = [];
  const byStatus: Record<string, number> = {};
  let errors = 0;
  let stop = false;
  const started = performance.now();
  const timer = setTimeout(() => (stop = true), opts.durationMs);
  await Promise.all(
    Array.from({ length: opts.connections }, () =>
      connection(
        opts,
        () => stop,
        (ms, status) => {
          latencies.push(ms);
          byStatus[status] = (byStatus[status] ?? 0) + 1;
        },
      ).catch(() => {
        errors++;
      }),
    ),
  );
  clearTimeout(timer);
  return { latencies, byStatus, errors, elapsedMs: performance.now() - started };
}

export function summarize(run: ClosedLoopRun): { requests: number; rps: number; p50Ms: number; p99Ms: number } {
  const latencies = [...run.latencies].sort((a, b) => a - b);
  const pct = (p: number): number =>
    latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] : 0;
  return { requests: latencies.length, rps: (latencies.length / run.elapsedMs) * 1000, p50Ms: pct(50), p99Ms: pct(99) };
}

function connection(opts: ClosedLoopOptions, stopped: () => boolean, record: (ms: number, status: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(opts.port, opts.host ?? '127.0.0.1');
    socket.setNoDelay(true);
    let buffer: Buffer = Buffer.alloc(0);
    let sentAt = 0;
    const send = (): void => {
      if (stopped()) {
        socket.end();
        return;
      }
      sentAt = performance.now();
      socket.write(opts.request());
    };
    socket.on('connect', send);
    socket.on('data', (chunk: Buffer) => {
      buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = buffer.subarray(0, end).toString('latin1');
        const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        if (buffer.length < end + 4 + length) return;
        const status = Number(head.slice(9, 12));
        buffer = buffer.subarray(end + 4 + length);
        record(performance.now() - sentAt, status);
        send();
      }
    });
    socket.on('error', (error) => (stopped() ? resolve() : reject(error)));
    socket.on('close', () => resolve());
  });
}
