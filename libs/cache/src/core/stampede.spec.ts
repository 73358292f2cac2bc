import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CacheKit, SHARED_REDIS_URL } from './testing/kit.js';

const WORKER = fileURLToPath(new URL('./testing/stampede-worker.ts', import.meta.url));

interface Child {
  proc: ChildProcess;
  lines: string[];
  nextLine(): Promise<string>;
}

function startWorker(prefix: string): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', WORKER, SHARED_REDIS_URL, prefix, '500', '300'], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const lines: string[] = [];
  const waiters: ((l: string) => void)[] = [];
  createInterface({ input: proc.stdout }).on('line', (l) => {
    const w = waiters.shift();
    if (w) w(l);
    else lines.push(l);
  });
  return {
    proc,
    lines,
    nextLine: () => (lines.length ? Promise.resolve(lines.shift()!) : new Promise((r) => waiters.push(r))),
  };
}

describe('stampede across processes', () => {
  const kit = new CacheKit('stampede');
  afterAll(() => kit.cleanup());

  it('500 concurrent getOrLoad in each of 3 processes run the loader exactly once', async () => {
    const children = [0, 1, 2].map(() => startWorker(kit.prefix));
    try {
      for (const c of children) expect(await c.nextLine()).toBe('ready');
      for (const c of children) c.proc.stdin!.write('go\n');
      const results = await Promise.all(children.map(async (c) => JSON.parse(await c.nextLine()) as { done: number; distinct: string[] }));
      const raw = await kit.client();
      expect(Number(await raw.get(`${kit.prefix}:loader-runs`))).toBe(1);
      for (const r of results) expect(r.done).toBe(500);
      // Every caller in every process got the one loaded value.
      const all = new Set(results.flatMap((r) => r.distinct));
      expect(all.size).toBe(1);
    } finally {
      for (const c of children) c.proc.kill();
    }
  }, 60_000);
});
