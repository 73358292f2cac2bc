import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('../peers/stampede-worker.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * `processes` processes × `calls` concurrent reads of one cold key, released together; returns the
 * total number of loader runs (1 = perfect single-flight across processes).
 */
export async function stampede(
  lib: string,
  host: string,
  port: number,
  processes: number,
  calls: number,
): Promise<{ loads: number; errors: number }> {
  const key = `stampede-${lib}-${Date.now()}`;
  const children: ChildProcess[] = [];
  try {
    const outputs = Array.from({ length: processes }, () => {
      const { NODE_OPTIONS: _drop, ...env } = process.env;
      const child = spawn(process.execPath, ['--import', 'tsx/esm', WORKER, lib, host, String(port), key, String(calls)], {
        cwd: ROOT,
        env,
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      children.push(child);
      let out = '';
      let notifyReady!: () => void;
      const ready = new Promise<void>((r) => (notifyReady = r));
      const done = new Promise<{ loads: number; errors: number }>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('ready\n')) notifyReady();
        });
        child.on('exit', (code) => {
          const last = out.trim().split('\n').pop() ?? '';
          if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last));
          else reject(new Error(`${lib} stampede worker exited with ${code}: ${out}`));
        });
      });
      return { child, ready, done };
    });
    await withTimeout(Promise.all(outputs.map((o) => o.ready)), 30_000, `${lib} workers not ready`);
    for (const o of outputs) o.child.stdin.write('go\n');
    const results = await withTimeout(Promise.all(outputs.map((o) => o.done)), 30_000, `${lib} stampede timed out`);
    return results.reduce((a, r) => ({ loads: a.loads + r.loads, errors: a.errors + r.errors }), { loads: 0, errors: 0 });
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}
