import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { QueueAdmin } from '@app/jobs';
import { WorkerHttpServer } from '../../apps/worker/src/http/worker-http.server.js';
import { WorkerModule } from '../../apps/worker/src/worker.module.js';
import { ephemeralPort } from '../../libs/cache/src/testing/free-port.js';
import { hostPortOf, TcpProxy } from '../support/tcp-proxy.js';
import { testConfig } from '../support/test-app.js';
import { removeKeyspace, RUN_PREFIX, sample, until } from './worker-fixtures.js';

// A keyspace of its own with the relay off (it must not take the run's events into it): the jobs
// counted on /metrics are exactly the ones this suite enqueues. Its Redis goes through a proxy.
const PREFIX = `${RUN_PREFIX}_wh`;

describe('worker: its own HTTP port (WORKER_PORT): /health/live, /health, /metrics', () => {
  const redis = new TcpProxy(hostPortOf(process.env.REDIS_URL!));
  let worker: INestApplicationContext;
  let base: string;
  let port: number;

  beforeAll(async () => {
    await redis.start();
    // A free port can be taken by someone else before the worker binds it: try another.
    for (let attempt = 1; ; attempt++) {
      port = await ephemeralPort();
      const ctx = await NestFactory.createApplicationContext(
        WorkerModule.forRoot(
          testConfig({
            REDIS_KEY_PREFIX: PREFIX,
            REDIS_URL: redis.rewrite(process.env.REDIS_URL!),
            OUTBOX_RELAY_ENABLED: 'false',
            CACHE_L1_ENABLED: 'false',
            JOB_ATTEMPTS: '1',
            WORKER_HOST: '127.0.0.1',
            WORKER_PORT: String(port),
          }),
        ),
        { logger: false },
      );
      try {
        await ctx.init();
        worker = ctx;
        break;
      } catch (error) {
        await ctx.close().catch(() => undefined);
        if (attempt >= 3 || !/EADDRINUSE/.test(String((error as Error)?.message ?? error))) throw error;
      }
    }
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await redis.start().catch(() => undefined);
    await worker?.close();
    await redis.stop();
    await removeKeyspace(PREFIX);
  });

  const get = async (
    path: string,
    init?: RequestInit,
  ): Promise<{ status: number; type: string | null; cacheControl: string | null; text: string }> => {
    const res = await fetch(`${base}${path}`, init);
    return {
      status: res.status,
      type: res.headers.get('content-type'),
      cacheControl: res.headers.get('cache-control'),
      text: await res.text(),
    };
  };

  it('listens on the configured port', () => {
    expect(worker.get(WorkerHttpServer).port).toBe(port);
  });

  it('GET /health/live → 200 while the process runs', async () => {
    for (const path of ['/health/live', '/health/live?probe=1']) {
      const res = await get(path);
      expect(res.status).toBe(200);
      expect(res.type).toMatch(/application\/json/);
      expect(JSON.parse(res.text)).toEqual({ status: 'ok' });
    }
  });

  it('GET /health → 200 {status: ok, postgres: up, redis: up}, not cacheable', async () => {
    const res = await get('/health');
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/application\/json/);
    expect(res.cacheControl).toBe('no-store');
    expect(JSON.parse(res.text)).toEqual({ status: 'ok', postgres: 'up', redis: 'up' });
  });

  it('GET /metrics → 200 Prometheus text with the outbox backlog and the jobs per queue and outcome', async () => {
    const before = await get('/metrics');
    expect(before.status).toBe(200);
    expect(before.type).toMatch(/^text\/plain/);
    for (const line of [
      '# TYPE outbox_pending_events gauge',
      '# TYPE outbox_oldest_pending_seconds gauge',
      '# TYPE worker_jobs_total counter',
      '# TYPE outbox_relay_errors_total counter',
      '# TYPE outbox_relayed_events_total counter',
    ]) {
      expect(before.text).toContain(line);
    }
    // The backlog is read from Postgres (-1 would mean it could not be).
    expect(sample(before.text, 'outbox_pending_events')).toBeGreaterThanOrEqual(0);
    expect(sample(before.text, 'worker_jobs_total', { queue: 'bestsellers', outcome: 'completed' })).toBeUndefined();

    // One job that completes and one that fails (no handler for its name; JOB_ATTEMPTS=1).
    const queue = worker.get(QueueAdmin).queue('bestsellers');
    await queue.add('catalog.product-deleted', { eventId: randomUUID(), payload: { productId: randomUUID() } });
    await queue.add('no-such-event', { eventId: randomUUID(), payload: {} });
    const text = await until('both jobs counted', async () => {
      const t = (await get('/metrics')).text;
      return sample(t, 'worker_jobs_total', { queue: 'bestsellers', outcome: 'completed' }) === 1 &&
        sample(t, 'worker_jobs_total', { queue: 'bestsellers', outcome: 'failed' }) === 1
        ? t
        : null;
    });
    expect(sample(text, 'worker_job_duration_seconds_count', { queue: 'bestsellers' })).toBe(2);
  });

  it('an unknown path → 404, another method → 405', async () => {
    const missing = await get('/nope');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text)).toEqual({ statusCode: 404, error: 'Not Found' });
    expect((await get('/health', { method: 'POST' })).status).toBe(405);
  });

  it('with Redis unreachable: /health → 503 naming Redis, /health/live and /metrics still answer; 200 again once it is back', async () => {
    await redis.stop();
    try {
      const started = Date.now();
      const res = await get('/health');
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(res.status).toBe(503);
      expect(JSON.parse(res.text)).toEqual({ status: 'error', postgres: 'up', redis: 'down' });
      expect((await get('/health/live')).status).toBe(200);
      const metrics = await get('/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.text).toContain('# TYPE worker_jobs_total counter');
    } finally {
      await redis.start();
    }
    await until('/health ok again', async () => (await get('/health')).status === 200, 15_000);
    expect(JSON.parse((await get('/health')).text)).toEqual({ status: 'ok', postgres: 'up', redis: 'up' });
    // The queues work again: a job is processed (and counted). This also keeps the next test from
    // closing the worker while BullMQ still reconnects (see shutdown.e2e-spec.ts).
    const before = sample((await get('/metrics')).text, 'worker_jobs_total', { queue: 'bestsellers', outcome: 'completed' }) ?? 0;
    await worker
      .get(QueueAdmin)
      .queue('bestsellers')
      .add('catalog.product-deleted', { eventId: randomUUID(), payload: { productId: randomUUID() } });
    await until(
      'a job processed after the outage',
      async () => sample((await get('/metrics')).text, 'worker_jobs_total', { queue: 'bestsellers', outcome: 'completed' }) === before + 1,
      15_000,
    );
  });

  it('stops listening when the worker shuts down', async () => {
    await worker.close();
    worker = undefined as unknown as INestApplicationContext;
    await expect(fetch(`${base}/health/live`)).rejects.toThrow();
  });
});
