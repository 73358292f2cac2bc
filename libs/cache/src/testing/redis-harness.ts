/**
 * Private redis-server processes for tests and benchmarks: own port, own temp dir, no persistence.
 * Tests that stop/kill Redis or need a cluster must never touch the shared server on :6379.
 */
import { ephemeralPort } from './free-port.js';
import { makeTempDir, removeTempDir, spawnRedis, stopProcess, type SpawnedRedis } from './redis-process.js';

export { startRedisCluster, type RedisClusterHandle, type RedisClusterOptions } from './redis-cluster-harness.js';

export interface RedisServerOptions {
  host?: string;
  /** Extra redis-server arguments, e.g. ['--maxmemory', '10mb']. */
  args?: string[];
}

export interface RedisServerHandle {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  /** Graceful shutdown (SIGTERM); resolves once the process has exited. */
  stop(): Promise<void>;
  /** Starts a stopped/killed server again on the same port (the data is gone: no persistence). */
  start(): Promise<void>;
  /** SIGKILL, like a crash; resolves once the process has exited. */
  kill(): Promise<void>;
  /** Stops the server for good and removes its temp dir. */
  dispose(): Promise<void>;
}

const SPAWN_ATTEMPTS = 5;

export async function startRedisServer(opts: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const host = opts.host ?? '127.0.0.1';
  const args = opts.args ?? [];
  const dir = makeTempDir('redis-harness');

  // The port is free when we test it, but a parallel jest worker may take it before redis binds:
  // on a failed start we simply pick another port.
  let port = 0;
  let current: SpawnedRedis | undefined;
  let lastError: unknown;
  for (let attempt = 0; attempt < SPAWN_ATTEMPTS && !current; attempt++) {
    port = await ephemeralPort(host);
    try {
      current = await spawnRedis(host, port, dir, args);
    } catch (error) {
      lastError = error;
    }
  }
  if (!current) {
    removeTempDir(dir);
    throw lastError;
  }

  let running: SpawnedRedis | undefined = current;
  const halt = async (signal: NodeJS.Signals) => {
    const proc = running;
    running = undefined;
    if (proc) await stopProcess(proc, signal);
  };

  return {
    host,
    port,
    url: `redis://${host}:${port}`,
    stop: () => halt('SIGTERM'),
    kill: () => halt('SIGKILL'),
    async start() {
      if (running) return;
      running = await spawnRedis(host, port, dir, args);
    },
    async dispose() {
      await halt('SIGTERM');
      removeTempDir(dir);
    },
  };
}
