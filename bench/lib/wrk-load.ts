import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PathLoadResult } from './path-load.js';

/** What each request is: one fixed request, a random pick from a list of paths, or a path with a counter. */
export type WrkRequests =
  | { kind: 'fixed'; method: 'GET' | 'POST'; path: string; headers?: Record<string, string>; body?: unknown }
  | { kind: 'random'; paths: readonly string[] }
  | { kind: 'counter'; prefix: string; start: number; suffix: string };

export interface WrkOptions {
  port: number;
  connections: number;
  durationMs: number;
  requests: WrkRequests;
}

export function wrkAvailable(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // wrk --version prints its usage and exits 1: it is there when the error is not ENOENT.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

const lua = (s: string): string => JSON.stringify(s); // a JSON string is a valid Lua string literal here

/** The Lua script: builds the requests, and prints one JSON line with the figures at the end. */
function script(requests: WrkRequests, pathsFile: string): string {
  let setup: string;
  let request = '';
  if (requests.kind === 'fixed') {
    const body = requests.body === undefined ? '' : JSON.stringify(requests.body);
    const headers = { ...requests.headers, ...(body ? { 'content-type': 'application/json' } : {}) };
    setup = Object.entries(headers)
      .map(([k, v]) => `wrk.headers[${lua(k)}] = ${lua(v)}\n`)
      .join('');
    setup += `wrk.method = ${lua(requests.method)}\nwrk.path = ${lua(requests.path)}\n${body ? `wrk.body = ${lua(body)}\n` : ''}`;
  } else if (requests.kind === 'random') {
    setup = `local paths = {}\nfor line in io.lines(${lua(pathsFile)}) do paths[#paths + 1] = line end\n`;
    request = 'request = function() return wrk.format("GET", paths[math.random(#paths)]) end\n';
  } else {
    setup = `local n = ${requests.start}\n`;
    request = `request = function() n = n + 1 return wrk.format("GET", ${lua(requests.prefix)} .. n .. ${lua(requests.suffix)}) end\n`;
  }
  const done = `done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK{"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"non2xx":%d,"socketErrors":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
`;
  return `math.randomseed(os.time())\n${setup}${request}${done}`;
}

/**
 * Runs wrk (one client thread, `connections` keep-alive connections, closed loop) against the
 * server on 127.0.0.1:port and returns the same figures as the built-in load generator.
 * wrk counts every non-2xx/3xx answer as a status error; they are reported under "non-2xx".
 */
export async function runWrk(opts: WrkOptions): Promise<PathLoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-wrk-'));
  try {
    const pathsFile = join(dir, 'paths.txt');
    if (opts.requests.kind === 'random') writeFileSync(pathsFile, opts.requests.paths.join('\n') + '\n');
    const scriptFile = join(dir, 'script.lua');
    writeFileSync(scriptFile, script(opts.requests, pathsFile));
    const seconds = Math.max(1, Math.round(opts.durationMs / 1000));
    const args = ['-t1', `-c${opts.connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', scriptFile, `http://127.0.0.1:${opts.port}`];
    const out = await new Promise<string>((resolve, reject) =>
      execFile('wrk', args, { maxBuffer: 1 << 20 }, (error, stdout, stderr) =>
        error ? reject(new Error(`wrk failed: ${stderr || error.message}`)) : resolve(stdout),
      ),
    );
    const line = /WRK(\{.*\})/.exec(out)?.[1];
    if (!line) throw new Error(`wrk printed no summary:\n${out}`);
    const r = JSON.parse(line) as {
      requests: number;
      durationUs: number;
      p50Us: number;
      p99Us: number;
      non2xx: number;
      socketErrors: number;
    };
    return {
      requests: r.requests,
      rps: r.requests / (r.durationUs / 1e6),
      p50Ms: r.p50Us / 1000,
      p99Ms: r.p99Us / 1000,
      errors: r.socketErrors,
      non200: r.non2xx ? { 'non-2xx': r.non2xx } : {},
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
