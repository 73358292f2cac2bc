import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCache } from '../create-cache.js';
import { SHARED_REDIS_URL, sleep } from '../core/testing/kit.js';
import { ephemeralPort } from '../testing/free-port.js';
import { startRedisServer } from '../testing/redis-harness.js';
import { makeTempDir, pingOnce, removeTempDir, REDIS_SERVER_BIN } from '../testing/redis-process.js';
import { uniquePrefix } from '../testing/test-keys.js';
import { closeConnection, createRedisConnection, duplicateConnection, reconnectDelay, waitForReady } from './connection.js';

describe('createRedisConnection', () => {
  it('standalone: connects, fails fast (no offline queue) while disconnected, reconnects by itself', async () => {
    const server = await startRedisServer();
    const client = createRedisConnection({ url: server.url, commandTimeoutMs: 300, name: 'conn-test' });
    try {
      await waitForReady(client);
      expect(await client.client('GETNAME')).toBe('conn-test');
      await server.stop();
      const started = Date.now();
      await expect(client.get('x')).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(1_000);
      await server.start();
      const deadline = Date.now() + 10_000;
      while (client.status !== 'ready' && Date.now() < deadline) await sleep(50);
      expect(await client.ping()).toBe('PONG');
    } finally {
      await closeConnection(client);
      await server.dispose();
    }
    expect(client.status).toBe('end');
  }, 30_000);

  it('duplicateConnection gives a subscriber that receives messages', async () => {
    const client = createRedisConnection({ url: SHARED_REDIS_URL });
    const sub = duplicateConnection(client);
    const channel = uniquePrefix('chan');
    try {
      await waitForReady(client);
      const got = new Promise<string>((resolve) => sub.on('message', (_c: string, m: string) => resolve(m)));
      await sub.subscribe(channel);
      await client.publish(channel, 'hello');
      expect(await got).toBe('hello');
    } finally {
      await closeConnection(sub);
      await closeConnection(client);
    }
  });

  it('reconnect backoff is bounded and never gives up', () => {
    for (const t of [1, 5, 50, 10_000]) {
      const d = reconnectDelay(t);
      expect(d).toBeGreaterThan(0);
      expect(d).toBeLessThanOrEqual(2_100);
    }
  });

  it('validates mode-specific options', () => {
    expect(() => createRedisConnection({ mode: 'cluster' })).toThrow(/nodes/);
    expect(() => createRedisConnection({ mode: 'sentinel' })).toThrow(/sentinel/);
  });

  it('sentinel: finds the master through a sentinel and the cache works on it', async () => {
    const master = await startRedisServer();
    const dir = makeTempDir('sentinel');
    const port = await ephemeralPort();
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor mymaster 127.0.0.1 ${master.port} 1`, ''].join('\n'),
    );
    const proc = spawn(REDIS_SERVER_BIN, [conf, '--sentinel'], { stdio: 'ignore' });
    const svc = createCache({
      redis: { mode: 'sentinel', sentinels: [{ host: '127.0.0.1', port }], sentinelName: 'mymaster', commandTimeoutMs: 1_000 },
      prefix: 'sentinel',
    });
    try {
      const deadline = Date.now() + 10_000;
      while (!(await pingOnce('127.0.0.1', port)) && Date.now() < deadline) await sleep(50);
      await svc.ready(10_000);
      expect(await svc.cache.getOrLoad('k', async () => 'via-sentinel')).toBe('via-sentinel');
      expect(await svc.cache.getOrLoad('k', async () => 'again')).toBe('via-sentinel');
    } finally {
      await svc.close();
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
      await master.dispose();
      removeTempDir(dir);
      // ioredis' internal sentinel-resolution client waits up to 2 s (its default disconnectTimeout)
      // for its socket to close; let it finish so no timer outlives the test.
      await sleep(2_100);
    }
  }, 30_000);
});
