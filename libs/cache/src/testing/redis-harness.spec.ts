import { Cluster, Redis } from 'ioredis';
import { pingOnce } from './redis-process.js';
import { startRedisCluster, startRedisServer, type RedisServerHandle } from './redis-harness.js';

describe('redis harness', () => {
  let server: RedisServerHandle;
  afterAll(() => server?.dispose());

  it('starts a private server, stops it, and restarts it on the same port', async () => {
    server = await startRedisServer();
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    expect(await pingOnce(server.host, server.port)).toBe(true);

    await server.stop();
    expect(await pingOnce(server.host, server.port)).toBe(false);
    await server.start();
    expect(await pingOnce(server.host, server.port)).toBe(true);
    await server.kill();
    expect(await pingOnce(server.host, server.port)).toBe(false);
    await server.start();

    const client = new Redis(server.port, server.host);
    expect(await client.config('GET', 'save')).toEqual(['save', '']);
    await client.quit();
  });

  it('starts several servers at once on distinct ports', async () => {
    const servers = await Promise.all([startRedisServer(), startRedisServer(), startRedisServer()]);
    expect(new Set(servers.map((s) => s.port)).size).toBe(3);
    await Promise.all(servers.map((s) => s.dispose()));
  });

  it('starts a 3-master cluster', async () => {
    const cluster = await startRedisCluster({ masters: 3 });
    try {
      expect(cluster.nodes).toHaveLength(3);
      const client = new Cluster(cluster.nodes);
      await client.set('{t}a', '1');
      expect(await client.get('{t}a')).toBe('1');
      expect(client.nodes('master')).toHaveLength(3);
      await client.quit();
    } finally {
      await cluster.stop();
    }
  });
});
