import type { INestApplicationContext } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { QueueAdmin } from '@app/jobs';
import { PaymentExpiryService } from '@app/orders';
import { CATALOG_TEST_ENV } from '../catalog/catalog-fixtures.js';
import { bearer, createAdmin, registerUser, type RegisteredUser } from '../support/auth.js';
import { ProductFactory, type Product } from '../support/catalog.js';
import { createTestApp } from '../support/test-app.js';
import {
  cancelOrder,
  isolatedRun,
  placeOrder,
  removeKeyspace,
  startWorker,
  until,
  type IsolatedRun,
  type PlacedOrder,
  ISOLATED_RUN_TIMEOUT_MS,
} from './worker-fixtures.js';

interface HistoryEntry {
  at: string;
  from: string | null;
  to: string;
  actor: string;
}

const TIMEOUT_MINUTES = '60';
const BACKDATE = "interval '2 hours'";

/**
 * Unpaid orders are cancelled by the worker, as `system`, exactly once however many workers run
 * the expiry. The suite has a database of its own: no other suite's worker expires its orders,
 * and every count (cancelled orders, stock, events) is exact.
 */
describe('worker: payment expiry', () => {
  let run: IsolatedRun;
  let app: NestFastifyApplication;
  let products: ProductFactory;
  let admin: RegisteredUser;
  let customers: RegisteredUser[];
  const workers: INestApplicationContext[] = [];
  const zeroPrefix = () => `${run.prefix}z`;

  beforeAll(async () => {
    run = await isolatedRun('wp');
    app = await createTestApp({ ...CATALOG_TEST_ENV, ...run.env, ORDER_PAYMENT_TIMEOUT_MINUTES: TIMEOUT_MINUTES });
    products = await ProductFactory.create(app);
    admin = await createAdmin(app);
    customers = await Promise.all(Array.from({ length: 3 }, () => registerUser(app)));
  }, ISOLATED_RUN_TIMEOUT_MS);
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await app?.close();
    if (run) await removeKeyspace(zeroPrefix());
    await run?.drop();
  });

  const workerEnv = (overrides: Record<string, string> = {}) => ({
    ...CATALOG_TEST_ENV,
    ...run.env,
    ORDER_PAYMENT_TIMEOUT_MINUTES: TIMEOUT_MINUTES,
    ...overrides,
  });
  const backdate = async (orders: PlacedOrder[]): Promise<void> => {
    const res = await run.db.query(`UPDATE orders.orders SET created_at = now() - ${BACKDATE} WHERE id = ANY($1::uuid[])`, [
      orders.map((o) => o.id),
    ]);
    expect(res.rowCount).toBe(orders.length);
  };
  const statusOf = async (o: PlacedOrder): Promise<string> =>
    (await app.inject({ method: 'GET', url: `/api/v1/orders/${o.id}`, headers: bearer(admin.accessToken) })).json().status;
  const historyOf = async (o: PlacedOrder): Promise<HistoryEntry[]> =>
    (await app.inject({ method: 'GET', url: `/api/v1/orders/${o.id}/history`, headers: bearer(admin.accessToken) })).json();
  const stockOf = async (p: Product): Promise<number> =>
    (await run.db.query<{ stock: number }>('SELECT stock FROM catalog.products WHERE id = $1', [p.id])).rows[0].stock;
  const cancelEvents = async (orders: PlacedOrder[]): Promise<Map<string, { n: number; actors: string[] }>> => {
    const { rows } = await run.db.query<{ order_id: string; n: number; actors: string[] }>(
      `SELECT payload->>'orderId' AS order_id, count(*)::int AS n, array_agg(payload->>'actor') AS actors FROM outbox.events
        WHERE event_type = 'order.cancelled' AND payload->>'orderId' = ANY($1::text[]) GROUP BY 1`,
      [orders.map((o) => o.id)],
    );
    return new Map(rows.map((r) => [r.order_id, { n: r.n, actors: r.actors }]));
  };
  /** Places `count` orders of `quantity` units of `p`, by the customers in turn. */
  const place = async (p: Product, count: number, quantity: number): Promise<{ order: PlacedOrder; owner: RegisteredUser }[]> =>
    Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const owner = customers[i % customers.length];
        return { order: await placeOrder(app, owner.accessToken, [{ productId: p.id, quantity }]), owner };
      }),
    );
  const expectCancelledOnceBySystem = async (placed: { order: PlacedOrder; owner: RegisteredUser }[]): Promise<void> => {
    for (const { order, owner } of placed) {
      expect(await statusOf(order)).toBe('cancelled');
      expect((await historyOf(order)).map((h) => [h.from, h.to, h.actor])).toEqual([
        [null, 'placed', `customer:${owner.user.id}`],
        ['placed', 'cancelled', 'system'],
      ]);
    }
    const events = await cancelEvents(placed.map((p) => p.order));
    expect(placed.map(({ order }) => events.get(order.id))).toEqual(placed.map(() => ({ n: 1, actors: ['system'] })));
  };

  it('orders unpaid for longer than the timeout are cancelled by the running workers (schedule), once, as `system`, stock given back once; paid and recent orders untouched', async () => {
    const p = await products.product({ stock: 100 });
    const expired = await place(p, 6, 2);
    const [paid] = await place(p, 1, 3);
    const [recent] = await place(p, 1, 1);
    expect(
      (
        await app.inject({
          method: 'PATCH',
          url: `/api/v1/orders/${paid.order.id}/status`,
          headers: bearer(admin.accessToken),
          payload: { status: 'paid' },
        })
      ).statusCode,
    ).toBe(200);
    await backdate([...expired.map((e) => e.order), paid.order]);
    expect(await stockOf(p)).toBe(100 - 12 - 3 - 1);

    // Two workers: each registers the schedule (one scheduler per id) and both consume its jobs.
    workers.push(...(await Promise.all([startWorker(workerEnv()), startWorker(workerEnv())])));
    await until(
      'the expired orders cancelled by the worker',
      async () => (await Promise.all(expired.map((e) => statusOf(e.order)))).every((s) => s === 'cancelled'),
      40_000,
      async () => JSON.stringify(await Promise.all(expired.map((e) => statusOf(e.order)))),
    );
    await expectCancelledOnceBySystem(expired);
    expect(await stockOf(p)).toBe(100 - 3 - 1);
    expect(await statusOf(paid.order)).toBe('paid');
    expect(await statusOf(recent.order)).toBe('placed');
    expect(await historyOf(paid.order)).toHaveLength(2);
    expect(await historyOf(recent.order)).toHaveLength(1);
  });

  it('expireUnpaid() running in both workers at once cancels each order exactly once (120 orders over two products, one transaction per order)', async () => {
    // The schedule is paused so that the four concurrent runs below are the only ones: their
    // counts then add up exactly.
    const maintenance = workers[0].get(QueueAdmin).queue('maintenance');
    await maintenance.pause();
    try {
      await until('no scheduled expiry running', async () => (await maintenance.getActiveCount()) === 0);
      const [p, q] = await products.products(2, { stock: 1_000 });
      const expired = [...(await place(p, 60, 1)), ...(await place(q, 60, 2))];
      const paid = await place(p, 2, 5);
      const ownerCancelled = await place(q, 2, 7);
      for (const { order } of paid)
        expect(
          (
            await app.inject({
              method: 'PATCH',
              url: `/api/v1/orders/${order.id}/status`,
              headers: bearer(admin.accessToken),
              payload: { status: 'paid' },
            })
          ).statusCode,
        ).toBe(200);
      for (const { order, owner } of ownerCancelled) await cancelOrder(app, owner.accessToken, order.id);
      await backdate([...expired, ...paid, ...ownerCancelled].map((e) => e.order));
      expect([await stockOf(p), await stockOf(q)]).toEqual([1_000 - 60 - 10, 1_000 - 120]);

      const [a, b] = workers.map((w) => w.get(PaymentExpiryService));
      const counts = await Promise.all([a.expireUnpaid(), b.expireUnpaid(), a.expireUnpaid(), b.expireUnpaid()]);
      expect(counts.reduce((x, y) => x + y, 0)).toBe(expired.length);

      await expectCancelledOnceBySystem(expired);
      expect([await stockOf(p), await stockOf(q)]).toEqual([1_000 - 10, 1_000]);
      for (const { order } of paid) {
        expect(await statusOf(order)).toBe('paid');
        expect(await historyOf(order)).toHaveLength(2);
      }
      for (const { order, owner } of ownerCancelled) {
        expect((await historyOf(order)).map((h) => [h.to, h.actor])).toEqual([
          ['placed', `customer:${owner.user.id}`],
          ['cancelled', `customer:${owner.user.id}`],
        ]);
      }
      // Nothing is left to expire.
      expect(await Promise.all([a.expireUnpaid(), b.expireUnpaid()])).toEqual([0, 0]);
    } finally {
      await maintenance.resume();
    }
  });

  it('ORDER_PAYMENT_TIMEOUT_MINUTES=0 never cancels, and the worker registers no expiry schedule', async () => {
    // The other workers (60 min) would expire these orders: they are stopped first.
    await Promise.all(workers.splice(0).map((w) => w.close()));
    const never = await startWorker(
      workerEnv({ ORDER_PAYMENT_TIMEOUT_MINUTES: '0', REDIS_KEY_PREFIX: zeroPrefix(), OUTBOX_RELAY_ENABLED: 'false' }),
    );
    workers.push(never);
    const p = await products.product({ stock: 50 });
    const old = await place(p, 3, 4);
    await backdate(old.map((o) => o.order));

    const service = never.get(PaymentExpiryService);
    expect(service.enabled).toBe(false);
    expect(await service.expireUnpaid()).toBe(0);
    expect(await service.expireUnpaid(new Date(Date.now() + 10 * 365 * 24 * 3600_000))).toBe(0);
    for (const { order } of old) {
      expect(await statusOf(order)).toBe('placed');
      expect(await historyOf(order)).toHaveLength(1);
    }
    expect(await stockOf(p)).toBe(50 - 12);
    expect(await never.get(QueueAdmin).queue('maintenance').getJobScheduler('payment-expiry')).toBeFalsy();
  });
});
