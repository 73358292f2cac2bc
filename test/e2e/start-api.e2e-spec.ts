import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { repoRoot } from '../support/test-env.js';
import { freePort } from '../support/spawn-node.js';

/** scripts/start-api.sh: how `npm run start:api`, `npm run up`, the Docker image and bench:http start the API. */
describe('scripts/start-api.sh', () => {
  const started: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of started.splice(0)) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });

  function start(env: Record<string, string>): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
    const child = spawn('bash', ['scripts/start-api.sh'], {
      cwd: repoRoot,
      env: { ...process.env, NODE_OPTIONS: '', LD_PRELOAD: '', MALLOC_CONF: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.push(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    return { child, output: () => out, exit };
  }

  async function ready(port: number, api: { child: ChildProcess; output: () => string }): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/health/live`)).status === 200) return;
      } catch {
        // not listening yet
      }
      if (api.child.exitCode !== null || Date.now() > deadline) throw new Error(`API did not start:\n${api.output()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** The node process itself: the script execs it, so it keeps the script's pid. */
  const proc = (pid: number, file: string): string => readFileSync(`/proc/${pid}/${file}`, 'utf8');

  it('runs the bundle with the V8 limits and, by default, jemalloc with its settings', async () => {
    const lib = spawnSync('bash', ['scripts/lib/find-jemalloc.sh'], { cwd: repoRoot, encoding: 'utf8' });
    if (lib.status !== 0) throw new Error('libjemalloc2 is missing: bash scripts/ensure-tools.sh jemalloc (npm test runs it)');
    const port = await freePort();
    const api = start({ PORT: String(port), HOST: '127.0.0.1', MALLOC_ALLOCATOR: '' });
    await ready(port, api);
    const pid = api.child.pid!;
    const argv = proc(pid, 'cmdline').split('\0');
    expect(argv).toEqual(expect.arrayContaining(['--max-semi-space-size=16', '--max-old-space-size=256', 'dist/bundle/api.mjs']));
    expect(proc(pid, 'maps')).toContain(lib.stdout.trim());
    expect(proc(pid, 'environ').split('\0')).toEqual(
      expect.arrayContaining(['MALLOC_CONF=background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0', 'MALLOC_ARENA_MAX=2']),
    );
  });

  it('MALLOC_ALLOCATOR=glibc keeps glibc malloc; V8_MAX_SEMI_SPACE_MB=0 leaves the young generation to V8', async () => {
    const port = await freePort();
    const api = start({ PORT: String(port), HOST: '127.0.0.1', MALLOC_ALLOCATOR: 'glibc', V8_MAX_SEMI_SPACE_MB: '0' });
    await ready(port, api);
    const pid = api.child.pid!;
    expect(proc(pid, 'maps')).not.toContain('libjemalloc');
    expect(
      proc(pid, 'cmdline')
        .split('\0')
        .some((a) => a.startsWith('--max-semi-space-size')),
    ).toBe(false);
  });

  it.each([
    [{ MALLOC_ALLOCATOR: 'tcmalloc' }, /MALLOC_ALLOCATOR=tcmalloc: expected jemalloc or glibc/],
    [{ V8_MAX_OLD_SPACE_MB: 'lots' }, /V8_MAX_OLD_SPACE_MB=lots: expected a whole number/],
  ])('refuses %j before starting node, naming the variable', async (env, message) => {
    const api = start(env);
    expect(await api.exit).toBe(1);
    expect(api.output()).toMatch(message);
  });
});
