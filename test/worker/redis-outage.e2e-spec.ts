import type { INestApplicationContext } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Counter } from 'prom-client';
import { WorkerMetrics } from '../../apps/worker/src/metrics/worker-metrics.service.js';
import { CATALOG_TEST_ENV } from '../catalog/catalog-fixtures.js';
import { bearer, createAdmin, registerUser, type RegisteredUser } from '../support/auth.js';
import { ProductFactory, type Product } from '../support/catalog.js';
import { hostPortOf, TcpProxy } from '../support/tcp-proxy.js';
import { createTestApp } from '../support/test-app.js';
import {
  eventIdsOfOrders,
  inboxCount,
  isolatedRun,
  pendingCount,
  placeOrder,
  startWorker,
  unitsOf,
  until,
  type IsolatedRun,
  ISOLATED_RUN_TIMEOUT_MS,
} from './worker-fixtures.js';

const counter = async (c: Counter): Promise<number> => (await c.get()).values.reduce((sum, v) => sum + v.value, 0);

/**
 * Only the worker's Redis goes through a proxy that the test cuts (the API keeps its Redis and
 * takes orders all along). The suite has a database and a keyspace of its own, so this worker is
 * the only relay of its outbox: what stays pending, and who relays it afterwards, is exact.
 */
describe('worker: Redis outage — the outbox keeps the events and the relay catches up', () => {
  const redis = new TcpProxy(hostPortOf(process.env.REDIS_URL!));
  let run: IsolatedRun;
  let app: NestFastifyApplication;
  let worker: INestApplicationContext;
  let customer: RegisteredUser;
  let admin: RegisteredUser;
  let product: Product;

  beforeAll(async () => {
    run = await isolatedRun('wo');
    await redis.start();
    const env = { ...CATALOG_TEST_ENV, ...run.env };
    app = await createTestApp(env);
    // No L1 on the worker: cut from Redis it could not acknowledge the API's invalidations, and
    // every API write would wait for it until its presence expired.
    worker = await startWorker({
      ...env,
      REDIS_URL: redis.rewrite(process.env.REDIS_URL!),
      CACHE_L1_ENABLED: 'false',
      OUTBOX_POLL_INTERVAL_MS: '200',
    });
    product = await (await ProductFactory.create(app)).product({ stock: 10_000 });
    customer = await registerUser(app);
    admin = await createAdmin(app);
  }, ISOLATED_RUN_TIMEOUT_MS);
  // Closing a worker whose connections came back from an outage took over 60 s once, in a full
  // test run on a loaded machine (18 s alone); the close is not what this suite tests.
  afterAll(async () => {
    await redis.start().catch(() => undefined);
    await worker?.close();
    await app?.close();
    await redis.stop();
    await run?.drop();
  }, 180_000);

  const units = async (): Promise<number> => (await unitsOf(run.db, [product.id])).get(product.id)!;

  it('while the worker cannot reach Redis its relay rounds fail and the events stay pending; once Redis is back all of them are relayed and applied exactly once', async () => {
    const metrics = worker.get(WorkerMetrics);
    // Baseline: the path works.
    const first = await placeOrder(app, customer.accessToken, [{ productId: product.id, quantity: 2 }]);
    await until('the first order applied', async () => (await units()) === 2, 10_000);
    const relayedBefore = await counter(metrics.relayed);
    const errorsBefore = await counter(metrics.relayErrors);

    await redis.stop();
    const during: string[] = [];
    let quantities = 0;
    try {
      for (let i = 1; i <= 5; i++) {
        during.push((await placeOrder(app, customer.accessToken, [{ productId: product.id, quantity: i }])).id);
        quantities += i;
      }
      const eventIds = await eventIdsOfOrders(run.db, 'order.placed', during);
      expect(eventIds).toHaveLength(5);

      // This worker claims them, cannot enqueue them, and its round fails (counted)…
      await until('a failed relay round', async () => (await counter(metrics.relayErrors)) >= errorsBefore + 1, 20_000);
      // …and another: the rows were given back and are claimed again.
      await until('a second failed relay round', async () => (await counter(metrics.relayErrors)) >= errorsBefore + 2, 20_000);
      expect(await pendingCount(run.db, eventIds)).toBe(5);
      expect(await inboxCount(run.db, eventIds)).toBe(0);
      expect(await units()).toBe(2);
      expect(await counter(metrics.relayed)).toBe(relayedBefore);
      // The API (on its own Redis) shows the backlog.
      const queues = await app.inject({ method: 'GET', url: '/api/v1/admin/queues', headers: bearer(admin.accessToken) });
      expect(queues.statusCode).toBe(200);
      expect(queues.json().outbox.pending).toBe(5);
      expect(queues.json().outbox.oldestPendingSeconds).toBeGreaterThanOrEqual(0);
    } finally {
      await redis.start();
    }

    const eventIds = await eventIdsOfOrders(run.db, 'order.placed', [first.id, ...during]);
    await until(
      'the backlog relayed and applied',
      async () =>
        (await pendingCount(run.db, eventIds)) === 0 && (await inboxCount(run.db, eventIds)) === 6 && (await units()) >= 2 + quantities,
      20_000,
      async () => `pending ${await pendingCount(run.db, eventIds)}, inbox ${await inboxCount(run.db, eventIds)}, units ${await units()}`,
    );
    expect(await units()).toBe(2 + quantities);
    expect(await inboxCount(run.db, eventIds)).toBe(6);
    // Relayed by this worker (the only relay of this outbox), once each.
    expect(await counter(metrics.relayed)).toBe(relayedBefore + 5);
    const queues = await app.inject({ method: 'GET', url: '/api/v1/admin/queues', headers: bearer(admin.accessToken) });
    expect(queues.json().outbox).toEqual({ pending: 0, oldestPendingSeconds: 0 });
    expect(queues.json().queues.find((q: { name: string }) => q.name === 'bestsellers').failed).toBe(0);

    // And the worker is healthy again: a new order is applied at once.
    await placeOrder(app, customer.accessToken, [{ productId: product.id, quantity: 10 }]);
    await until('a new order applied', async () => (await units()) === 12 + quantities, 5_000);
  });
});
