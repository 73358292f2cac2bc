import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createTestApp } from '../support/test-app.js';
import { hostPortOf, TcpProxy } from '../support/tcp-proxy.js';

/** Each dependency is reached through its own proxy so the test can take it away. */
describe('GET /health/ready', () => {
  const primary = new TcpProxy(hostPortOf(process.env.DB_PRIMARY_URL!));
  const replica = new TcpProxy(hostPortOf(process.env.DB_REPLICA_URL!));
  const redis = new TcpProxy(hostPortOf(process.env.REDIS_URL!));
  let app: NestFastifyApplication;

  beforeAll(async () => {
    await Promise.all([primary.start(), replica.start(), redis.start()]);
    app = await createTestApp({
      DB_PRIMARY_URL: primary.rewrite(process.env.DB_PRIMARY_URL!),
      DB_REPLICA_URL: replica.rewrite(process.env.DB_REPLICA_URL!),
      REDIS_URL: redis.rewrite(process.env.REDIS_URL!),
    });
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all([primary.stop(), replica.stop(), redis.stop()]);
  });

  const ready = async () => {
    const res = await app.inject({ method: 'GET', url: '/health/ready' });
    return { status: res.statusCode, body: res.json() };
  };

  // After a dependency comes back, clients reconnect with backoff: wait for a clean state.
  const untilReady = async () => {
    const deadline = Date.now() + 15_000;
    let last = await ready();
    while (last.status !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      last = await ready();
    }
    return last;
  };

  /** Readiness as seen while one dependency is taken away (from a clean state; put back after). */
  const readyWithout = async (dependency: TcpProxy) => {
    await untilReady();
    await dependency.stop();
    try {
      return await ready();
    } finally {
      await dependency.start();
    }
  };

  it('is 200 with primary, replica and Redis reported up', async () => {
    const { status, body } = await ready();
    expect(status).toBe(200);
    expect(body.details.postgresPrimary.status).toBe('up');
    expect(body.details.postgresReplica.status).toBe('up');
    expect(body.details.redis.status).toBe('up');
  });

  it('stays 200 but reports the replica degraded when only the replica is down', async () => {
    const { status, body } = await readyWithout(replica);
    expect(status).toBe(200);
    expect(body.details.postgresReplica.status).toBe('degraded');
    expect(body.details.postgresPrimary.status).toBe('up');
  });

  it('is 503 naming Redis when Redis is unreachable', async () => {
    const { status, body } = await readyWithout(redis);
    expect(status).toBe(503);
    expect(body.details.redis.status).toBe('down');
    expect(body.message).toEqual(['redis: down']);
    expect(body.requestId).toBeDefined();
    expect(body.details.postgresPrimary.status).toBe('up');
  });

  it('is 503 naming the primary when the primary is unreachable', async () => {
    const { status, body } = await readyWithout(primary);
    expect(status).toBe(503);
    expect(body.details.postgresPrimary.status).toBe('down');
    expect(body.details.redis.status).toBe('up');
  });

  it('recovers to 200 once every dependency is back', async () => {
    expect((await untilReady()).status).toBe(200);
  });
});
