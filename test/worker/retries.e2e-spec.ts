import type { INestApplicationContext } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Job } from 'bullmq';
import pg from 'pg';
import { QueueAdmin } from '@app/jobs';
import { WorkerMetrics } from '../../apps/worker/src/metrics/worker-metrics.service.js';
import { CATALOG_TEST_ENV } from '../catalog/catalog-fixtures.js';
import { bearer, createAdmin, registerUser, type RegisteredUser } from '../support/auth.js';
import { ProductFactory } from '../support/catalog.js';
import { createTestApp } from '../support/test-app.js';
import {
  eventIdsOfOrders,
  inboxCount,
  isolatedRun,
  placeOrder,
  sample,
  sleep,
  startWorker,
  unitsOf,
  until,
  type IsolatedRun,
  ISOLATED_RUN_TIMEOUT_MS,
} from './worker-fixtures.js';

/**
 * A bestsellers job whose handler fails: a lock on catalog.product_sales (held by the test) makes
 * its statement time out (DB_STATEMENT_TIMEOUT_MS=300 on the worker), JOB_ATTEMPTS=2. The suite has
 * a database and a keyspace of its own: its worker is the only one taking these jobs (no other
 * worker with 8 attempts picks them up), and the table lock blocks no other suite.
 */
describe('worker: failing jobs are retried, kept in the failed set, and replayed by retry-failed', () => {
  let run: IsolatedRun;
  let app: NestFastifyApplication;
  let worker: INestApplicationContext;
  let products: ProductFactory;
  let customer: RegisteredUser;
  let admin: RegisteredUser;

  beforeAll(async () => {
    run = await isolatedRun('wr');
    const env = { ...CATALOG_TEST_ENV, ...run.env };
    app = await createTestApp(env);
    worker = await startWorker({ ...env, JOB_ATTEMPTS: '2', DB_STATEMENT_TIMEOUT_MS: '300' });
    products = await ProductFactory.create(app);
    customer = await registerUser(app);
    admin = await createAdmin(app);
  }, ISOLATED_RUN_TIMEOUT_MS);
  afterAll(async () => {
    await worker?.close();
    await app?.close();
    await run?.drop();
  });

  /** A transaction holding ACCESS EXCLUSIVE on catalog.product_sales until `release()`. */
  async function lockSalesTable(): Promise<{ release: () => Promise<void> }> {
    const client = new pg.Client({ connectionString: run.env.DB_PRIMARY_URL, application_name: 'worker-tests-lock-holder' });
    await client.connect();
    await client.query('BEGIN');
    await client.query('LOCK TABLE catalog.product_sales IN ACCESS EXCLUSIVE MODE');
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        await client.query('ROLLBACK').catch(() => undefined);
        await client.end();
      },
    };
  }

  const queue = () => worker.get(QueueAdmin).queue('bestsellers');
  /** The job once it is in one of `states` (read after its state, so its fields are those of that state). */
  const jobIn = async (eventId: string, states: string[]): Promise<Job | null> =>
    states.includes(await queue().getJobState(eventId)) ? ((await queue().getJob(eventId)) ?? null) : null;
  const units = async (productId: string): Promise<number> => (await unitsOf(run.db, [productId])).get(productId)!;
  const queuesView = async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/admin/queues', headers: bearer(admin.accessToken) });
    expect(res.statusCode).toBe(200);
    return res.json<{ queues: { name: string; failed: number; completed: number }[]; outbox: { pending: number } }>();
  };
  const retryFailed = (name: string, token = admin.accessToken) =>
    app.inject({ method: 'POST', url: `/api/v1/admin/queues/${name}/retry-failed`, headers: bearer(token) });
  const failedAttempts = async (): Promise<number> =>
    sample(await worker.get(WorkerMetrics).registry.metrics(), 'worker_jobs_total', { queue: 'bestsellers', outcome: 'failed' }) ?? 0;

  it('a failing handler is retried, then kept in the failed set with its error; retry-failed replays it and the units count once', async () => {
    const product = await products.product();
    const failedBefore = await failedAttempts();
    const lock = await lockSalesTable();
    let eventId: string;
    try {
      const order = await placeOrder(app, customer.accessToken, [{ productId: product.id, quantity: 3 }]);
      [eventId] = await eventIdsOfOrders(run.db, 'order.placed', [order.id]);
      // The job id is the event id.
      const failed = await until(
        'the job in the failed set',
        () => jobIn(eventId, ['failed']),
        20_000,
        async () => `state ${await (await queue().getJob(eventId))?.getState()}`,
      );
      expect(failed.attemptsMade).toBe(2);
      expect(failed.failedReason).toMatch(/statement timeout/i);
      expect(failed.data).toMatchObject({ eventId, payload: { orderId: order.id, items: [{ productId: product.id, quantity: 3 }] } });
      // Both attempts failed (the metric counts each failed attempt).
      expect((await failedAttempts()) - failedBefore).toBe(2);
      const view = await queuesView();
      expect(view.queues.find((q) => q.name === 'bestsellers')!.failed).toBe(1);
      expect(view.outbox.pending).toBe(0);
    } finally {
      await lock.release();
    }
    // Nothing of the failed attempts was kept, and a failed job stays failed until someone retries it.
    expect(await inboxCount(run.db, [eventId!])).toBe(0);
    expect(await units(product.id)).toBe(0);
    await sleep(1_500);
    expect(await jobIn(eventId!, ['failed'])).not.toBeNull();
    expect(await units(product.id)).toBe(0);

    const res = await retryFailed('bestsellers');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ retried: 1 });
    const done = await until('the retried job completed', () => jobIn(eventId!, ['completed']), 10_000);
    expect(done.returnvalue).toEqual({ applied: true });
    expect(await units(product.id)).toBe(3);
    expect(await inboxCount(run.db, [eventId!])).toBe(1);
    expect((await queuesView()).queues.find((q) => q.name === 'bestsellers')!.failed).toBe(0);

    // Nothing left to retry; the units stay counted once.
    const again = await retryFailed('bestsellers');
    expect([again.statusCode, again.json()]).toEqual([200, { retried: 0 }]);
    await sleep(300);
    expect(await units(product.id)).toBe(3);
  });

  it('an attempt that fails is retried by itself (backoff) and, once the cause is gone, counted once', async () => {
    const product = await products.product();
    const lock = await lockSalesTable();
    let eventId: string;
    try {
      const order = await placeOrder(app, customer.accessToken, [{ productId: product.id, quantity: 4 }]);
      [eventId] = await eventIdsOfOrders(run.db, 'order.placed', [order.id]);
      // First attempt failed, the second waits for its backoff (1 s).
      const waiting = await until('the first attempt failed', () => jobIn(eventId, ['delayed']), 20_000);
      expect(waiting.attemptsMade).toBe(1);
    } finally {
      await lock.release();
    }
    const done = await until('the second attempt completed', () => jobIn(eventId!, ['completed']), 10_000);
    expect(done.attemptsMade).toBe(2);
    expect(await units(product.id)).toBe(4);
    expect(await inboxCount(run.db, [eventId!])).toBe(1);
  });

  it('retry-failed: unknown queue → 404, customer → 403, no token → 401', async () => {
    const unknown = await retryFailed('no-such-queue');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({
      statusCode: 404,
      error: expect.any(String),
      message: expect.stringMatching(/no-such-queue/),
      requestId: expect.any(String),
    });
    expect((await retryFailed('bestsellers', customer.accessToken)).statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url: '/api/v1/admin/queues/bestsellers/retry-failed' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/api/v1/admin/queues', headers: bearer(customer.accessToken) })).statusCode).toBe(403);
  });
});
