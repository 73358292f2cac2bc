import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (benchmarks run the built apps from dist/). */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The API users run: the bundle `npm run build` writes (scripts/start-api.sh runs it too). */
export const API_BUNDLE = resolve(ROOT, 'dist/bundle/api.mjs');

/** Loads .env, then .env.example, into process.env (values already set win). */
export function loadEnvDefaults(): void {
  for (const file of ['.env', '.env.example']) if (existsSync(resolve(ROOT, file))) process.loadEnvFile(resolve(ROOT, file));
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

export interface Started {
  child: ChildProcess;
  /** The last 20 kB the process printed. */
  output: () => string;
}

/** BENCH_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) are passed to the node processes a benchmark starts. */
export function start(command: string, args: string[], env: Record<string, string>): Started {
  const extra = command === process.execPath && process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ').filter(Boolean) : [];
  const child = spawn(command, [...extra, ...args], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The last chunks only, kept as they arrive: an API logging a line per request writes megabytes a
  // second, and copying them into strings here would take CPU from the servers being measured.
  const tail: Buffer[] = [];
  const keep = (d: Buffer): void => {
    tail.push(d);
    if (tail.length > 8) tail.shift();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  return { child, output: () => Buffer.concat(tail).toString().slice(-20_000) };
}

/**
 * The built API as users start it: scripts/start-api.sh (its V8 and malloc settings), with
 * BENCH_NODE_ARGS passed on to node.
 */
export function startApi(env: Record<string, string>): Started {
  const extra = process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ').filter(Boolean) : [];
  return start('bash', [resolve(ROOT, 'scripts/start-api.sh'), ...extra], env);
}

export async function waitHttp(port: number, path: string, proc: Started, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`process exited before serving:\n${proc.output()}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      if (res.ok) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`not serving ${path} after ${ms} ms:\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      r(undefined);
    }, 5_000);
    child.once('exit', () => {
      clearTimeout(t);
      r(undefined);
    });
  });
}

/** CPU time (user + system) a process has used so far, in ms. */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms
}

export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export const percentile = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
