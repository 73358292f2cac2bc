import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { HealthController } from '../../apps/api/src/health/health.controller.js';
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
    while ((last.status !== 200 || last.body.status !== 'ok') && Date.now() < deadline) {
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

  it('is 200 ok with primary, replica and Redis reported up', async () => {
    const { status, body } = await ready();
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.details.postgresPrimary.status).toBe('up');
    expect(body.details.postgresReplica.status).toBe('up');
    expect(body.details.redis.status).toBe('up');
  });

  /** API.md: 200 with `degraded` while a dependency is down and the instance can still serve. */
  const expectDegraded = (res: { status: number; body: Record<string, any> }, down: string[]) => {
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('degraded');
    for (const name of ['postgresPrimary', 'postgresReplica', 'redis']) {
      expect({ name, status: res.body.details[name].status }).toEqual({ name, status: down.includes(name) ? 'down' : 'up' });
    }
    expect(Object.keys(res.body.error).sort()).toEqual([...down].sort());
  };

  it('stays 200, degraded, when only the replica is down', async () => {
    expectDegraded(await readyWithout(replica), ['postgresReplica']);
  });

  it('stays 200, degraded, when Redis is unreachable (the cache fails open, carts answer 503)', async () => {
    expectDegraded(await readyWithout(redis), ['redis']);
  });

  it('stays 200, degraded, when the primary is unreachable but the replica answers (reads keep being served)', async () => {
    expectDegraded(await readyWithout(primary), ['postgresPrimary']);
  });

  it('is 503 naming both when no Postgres server answers at all', async () => {
    await untilReady();
    await Promise.all([primary.stop(), replica.stop()]);
    let res: Awaited<ReturnType<typeof ready>>;
    try {
      res = await ready();
    } finally {
      await Promise.all([primary.start(), replica.start()]);
    }
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable', status: 'error', requestId: expect.any(String) });
    expect([...res.body.message].sort()).toEqual(['postgresPrimary: down', 'postgresReplica: down']);
    expect(res.body.details.redis.status).toBe('up');
  });

  it('recovers to 200 ok once every dependency is back', async () => {
    const res = await untilReady();
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
  });

  it('is 503 once the instance starts shutting down', async () => {
    app.get(HealthController).onModuleDestroy();
    const res = await ready();
    expect(res.status).toBe(503);
    expect(res.body.message).toEqual(['shutting down']);
  });
});
