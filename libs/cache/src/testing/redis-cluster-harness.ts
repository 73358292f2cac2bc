import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { clusterPort } from './free-port.js';
import { REDIS_CLI_BIN, makeTempDir, removeTempDir, sleep, spawnRedis, stopProcess, type SpawnedRedis } from './redis-process.js';

const run = promisify(execFile);

export interface RedisClusterOptions {
  masters?: number;
  host?: string;
  /** How long to wait for cluster_state:ok on every node. */
  readyTimeoutMs?: number;
}

export interface RedisClusterHandle {
  readonly nodes: { host: string; port: number }[];
  stop(): Promise<void>;
}

/** A private Redis Cluster of N masters, no replicas, created with `redis-cli --cluster create`. */
export async function startRedisCluster(opts: RedisClusterOptions = {}): Promise<RedisClusterHandle> {
  const masters = opts.masters ?? 3;
  const host = opts.host ?? '127.0.0.1';
  const dir = makeTempDir('redis-cluster');
  const procs: SpawnedRedis[] = [];
  const nodes: { host: string; port: number }[] = [];

  const stop = async () => {
    await Promise.all(procs.map((p) => stopProcess(p, 'SIGTERM')));
    removeTempDir(dir);
  };

  try {
    for (let i = 0; i < masters; i++) {
      const { port, proc } = await spawnClusterNode(host, dir);
      procs.push(proc);
      nodes.push({ host, port });
    }
    await run(REDIS_CLI_BIN, [
      '--cluster',
      'create',
      ...nodes.map((n) => `${n.host}:${n.port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    await waitForClusterOk(nodes, opts.readyTimeoutMs ?? 20_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes, stop };
}

async function spawnClusterNode(host: string, dir: string): Promise<{ port: number; proc: SpawnedRedis }> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await clusterPort(host);
    try {
      const proc = await spawnRedis(host, port, dir, [
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--cluster-node-timeout',
        '5000',
      ]);
      return { port, proc };
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function waitForClusterOk(nodes: { host: string; port: number }[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const states = await Promise.all(
      nodes.map(async (n) => {
        try {
          const { stdout } = await run(REDIS_CLI_BIN, ['-h', n.host, '-p', String(n.port), 'cluster', 'info']);
          return stdout.includes('cluster_state:ok');
        } catch {
          return false;
        }
      }),
    );
    if (states.every(Boolean)) return;
    await sleep(100);
  }
  throw new Error(`Redis cluster ${nodes.map((n) => n.port).join(',')} did not reach cluster_state:ok`);
}
