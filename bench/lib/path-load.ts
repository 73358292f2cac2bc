import { closedLoop, summarize } from './http-load.js';

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
  const host = `${opts.host ?? '127.0.0.1'}:${opts.port}`;
  const loop = {
    ...opts,
    request: (): Buffer => Buffer.from(`GET ${opts.path()} HTTP/1.1\r\nhost: ${host}\r\nconnection: keep-alive\r\n\r\n`, 'latin1'),
  };
  if (opts.warmupMs) await closedLoop({ ...loop, durationMs: opts.warmupMs });
  const run = await closedLoop(loop);
  const non200 = Object.fromEntries(Object.entries(run.byStatus).filter(([status]) => status !== '200'));
  return { ...summarize(run), errors: run.errors, non200 };
}
