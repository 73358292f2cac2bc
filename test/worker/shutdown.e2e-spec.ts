import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { spawnNode, type Spawned } from '../support/spawn-node.js';
import { hostPortOf, TcpProxy } from '../support/tcp-proxy.js';
import { repoRoot } from '../support/test-env.js';
import { removeKeyspace, RUN_PREFIX, sleep } from './worker-fixtures.js';

const WORKER = resolve(repoRoot, 'dist/apps/worker/src/main.js');
// A keyspace of its own, relay off (it must not take the run's events into it).
const PREFIX = `${RUN_PREFIX}_ws`;
const SHUTDOWN_TIMEOUT_MS = 3_000;
/** What a shutdown may take beyond SHUTDOWN_TIMEOUT_MS (process exit, slow machine). */
const MARGIN_MS = 5_000;

/** Resolves with the exit, or null when the process is still running after `ms`. */
async function exitWithin(w: Spawned, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | null> {
  return Promise.race([w.exit, sleep(ms).then(() => null)]);
}

/**
 * The built worker stops on SIGTERM within SHUTDOWN_TIMEOUT_MS ("how long shutdown waits for
 * in-flight requests and jobs before closing connections", .env.example), also while Redis is down.
 * Its Redis goes through a proxy that the test cuts.
 */
describe('the built worker stops on SIGTERM within SHUTDOWN_TIMEOUT_MS', () => {
  const redis = new TcpProxy(hostPortOf(process.env.REDIS_URL!));
  const children: Spawned[] = [];

  beforeAll(async () => {
    if (!existsSync(WORKER)) throw new Error('dist/ is missing: run `npm run build` (npm test does it)');
    await redis.start();
  });
  afterAll(async () => {
    for (const w of children) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await Promise.all(children.map((w) => w.exit));
    await redis.stop();
    await removeKeyspace(PREFIX);
  });

  function start(): Spawned {
    const w = spawnNode(WORKER, {
      REDIS_KEY_PREFIX: PREFIX,
      REDIS_URL: redis.rewrite(process.env.REDIS_URL!),
      OUTBOX_RELAY_ENABLED: 'false',
      CACHE_L1_ENABLED: 'false',
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      WORKER_PORT: '0',
      LOG_LEVEL: 'info',
    });
    children.push(w);
    return w;
  }

  it('stops at once when idle', async () => {
    const w = start();
    await w.waitForOutput(/worker ready/, 30_000);
    await sleep(500);
    w.child.kill('SIGTERM');
    const exit = await exitWithin(w, SHUTDOWN_TIMEOUT_MS + MARGIN_MS);
    expect(exit).not.toBeNull();
    expect(exit!.code === 0 || exit!.signal === 'SIGTERM').toBe(true);
  });

  it('stops within SHUTDOWN_TIMEOUT_MS when SIGTERM comes while Redis is unreachable', async () => {
    const w = start();
    await w.waitForOutput(/worker ready/, 30_000);
    await sleep(500);
    await redis.stop();
    try {
      await sleep(1_000);
      // The orchestrator stops the worker during the outage: it must not wait for Redis forever.
      w.child.kill('SIGTERM');
      const exit = await exitWithin(w, SHUTDOWN_TIMEOUT_MS + MARGIN_MS);
      if (exit === null) w.child.kill('SIGKILL');
      expect(exit === null ? `still running ${(SHUTDOWN_TIMEOUT_MS + MARGIN_MS) / 1000} s after SIGTERM` : 'exited').toBe('exited');
    } finally {
      await redis.start();
    }
  });
});
