import net from 'node:net';
import { performance } from 'node:perf_hooks';

export interface PathLoadOptions {
  port: number;
  host?: string;
  /** Each request picks the next path from this generator (e.g. a random product id). */
  path: () => string;
  connections: number;
  durationMs: number;
  warmupMs?: number;
}

export interface PathLoadResult {
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** Responses that were not 200, by status. */
  non200: Record<string, number>;
}

/**
 * Closed-loop HTTP/1.1 GET load with a path per request: `connections` keep-alive sockets, each
 * sending its next request as soon as the previous response is complete (Content-Length
 * framing). Raw sockets keep the client cheap, so the server is what gets measured.
 */
export async function runPathLoad(opts: PathLoadOptions): Promise<PathLoadResult> {
  if (opts.warmupMs) await measure(opts, opts.warmupMs);
  return measure(opts, opts.durationMs);
}

async function measure(opts: PathLoadOptions, durationMs: number): Promise<PathLoadResult> {
  const latencies: number[] = [];
  const non200: Record<string, number> = {};
  let errors = 0;
  let stop = false;
  const started = performance.now();
  const timer = setTimeout(() => (stop = true), durationMs);
  const host = `${opts.host ?? '127.0.0.1'}:${opts.port}`;
  const request = (): Buffer => Buffer.from(`GET ${opts.path()} HTTP/1.1\r\nhost: ${host}\r\nconnection: keep-alive\r\n\r\n`, 'latin1');
  await Promise.all(
    Array.from({ length: opts.connections }, () =>
      connection(opts, request, () => stop, (ms, status) => {
        latencies.push(ms);
        if (status !== 200) non200[status] = (non200[status] ?? 0) + 1;
      }).catch(() => {
        errors++;
      }),
    ),
  );
  clearTimeout(timer);
  const elapsed = performance.now() - started;
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]! : 0);
  return { requests: latencies.length, rps: (latencies.length / elapsed) * 1000, p50Ms: pct(50), p99Ms: pct(99), errors, non200 };
}

function connection(opts: PathLoadOptions, request: () => Buffer, stopped: () => boolean, record: (ms: number, status: number) => void): Promise<void> {
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
      socket.write(request());
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
