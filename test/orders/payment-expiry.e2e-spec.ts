import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type pg from 'pg';
import { PaymentExpiryService } from '@app/orders';
import { createAdmin, registerUser, type RegisteredUser } from '../support/auth.js';
import { ProductFactory, type Product } from '../support/catalog.js';
import { createTestApp } from '../support/test-app.js';
import { OrdersClient, ORDERS_TEST_ENV, primaryPool, stockInDb, type HistoryEntryBody, type OrderBody } from './orders-fixtures.js';

// A one-year timeout, with this suite's orders backdated by two years: only they are old enough,
// so expiring here never touches the placed orders of other suites of the run.
const YEAR_MINUTES = '525600';
const BACKDATE = "interval '2 years'";

describe('payment expiry (unpaid orders cancelled by the system)', () => {
  let app: NestFastifyApplication;
  let app2: NestFastifyApplication;
  let orders: OrdersClient;
  let products: ProductFactory;
  let admin: RegisteredUser;
  let db: pg.Pool;

  beforeAll(async () => {
    const env = { ...ORDERS_TEST_ENV, ORDER_PAYMENT_TIMEOUT_MINUTES: YEAR_MINUTES };
    [app, app2] = await Promise.all([createTestApp(env), createTestApp(env)]);
    orders = new OrdersClient(app);
    products = await ProductFactory.create(app);
    admin = await createAdmin(app);
    db = primaryPool();
  });
  afterAll(async () => {
    await db.end();
    await Promise.all([app.close(), app2.close()]);
  });

  const backdate = async (id: string): Promise<void> => {
    const res = await db.query(`UPDATE orders.orders SET created_at = created_at - ${BACKDATE} WHERE id = $1`, [id]);
    expect(res.rowCount).toBe(1);
  };
  const read = async (id: string): Promise<OrderBody> => (await orders.get(admin.accessToken, id)).json();
  const historyOf = async (id: string): Promise<HistoryEntryBody[]> => (await orders.history(admin.accessToken, id)).json();

  async function order(p: Product, quantity = 1): Promise<{ u: RegisteredUser; order: OrderBody }> {
    const u = await registerUser(app);
    return { u, order: await orders.place(u.accessToken, [{ productId: p.id, quantity }]) };
  }

  it('an old placed order is cancelled by `system`, its stock given back; a fresh one and an old paid one are left alone', async () => {
    const p = await products.product({ stock: 20 });
    const old = await order(p, 2);
    const fresh = await order(p, 3);
    const paid = await order(p, 4);
    expect((await orders.setStatus(admin.accessToken, paid.order.id, 'paid')).statusCode).toBe(200);
    await backdate(old.order.id);
    await backdate(paid.order.id);
    expect(await stockInDb(db, p.id)).toBe(11);

    await app.get(PaymentExpiryService).expireUnpaid();

    expect((await read(old.order.id)).status).toBe('cancelled');
    expect((await read(fresh.order.id)).status).toBe('placed');
    expect((await read(paid.order.id)).status).toBe('paid');
    expect(await stockInDb(db, p.id)).toBe(13);
    const history = await historyOf(old.order.id);
    expect(history).toHaveLength(2);
    expect(history[1]).toMatchObject({ from: 'placed', to: 'cancelled', actor: 'system' });
    // the owner sees the cancellation; the chain is intact
    expect((await orders.get(old.u.accessToken, old.order.id)).json<OrderBody>().status).toBe('cancelled');
    expect((await orders.verify(admin.accessToken, old.order.id)).json()).toEqual({ valid: true, entries: 2, brokenAt: null });
    // the expired order can no longer be paid or cancelled
    expect((await orders.setStatus(admin.accessToken, old.order.id, 'paid')).statusCode).toBe(409);
    expect((await orders.cancel(old.u.accessToken, old.order.id)).statusCode).toBe(409);
  });

  it('expiry running on two instances at once cancels each order exactly once', async () => {
    const p = await products.product({ stock: 100 });
    const placed = await Promise.all(Array.from({ length: 8 }, () => order(p, 2)));
    for (const o of placed) await backdate(o.order.id);
    expect(await stockInDb(db, p.id)).toBe(84);
    await Promise.all([app, app2, app, app2].map((a) => a.get(PaymentExpiryService).expireUnpaid()));
    expect(await stockInDb(db, p.id)).toBe(100);
    for (const o of placed) {
      const history = await historyOf(o.order.id);
      expect(history.map((h) => [h.from, h.to, h.actor])).toEqual([
        [null, 'placed', `customer:${o.u.user.id}`],
        ['placed', 'cancelled', 'system'],
      ]);
    }
  });

  it('expiry racing an owner’s cancel and an admin’s payment: one transition wins, stock given back at most once', async () => {
    const p = await products.product({ stock: 100 });
    const placed = await Promise.all(Array.from({ length: 6 }, () => order(p, 5)));
    for (const o of placed) await backdate(o.order.id);
    await Promise.all([
      app.get(PaymentExpiryService).expireUnpaid(),
      ...placed.map((o, i) =>
        i % 2 ? orders.cancel(o.u.accessToken, o.order.id) : orders.setStatus(admin.accessToken, o.order.id, 'paid', app2),
      ),
    ]);
    let expectedStock = 100;
    for (const o of placed) {
      const status = (await read(o.order.id)).status;
      expect(['cancelled', 'paid']).toContain(status);
      if (status === 'paid') expectedStock -= 5;
      const history = await historyOf(o.order.id);
      expect(history).toHaveLength(2);
      expect(history[1].to).toBe(status);
    }
    expect(await stockInDb(db, p.id)).toBe(expectedStock);
  });

  it('ORDER_PAYMENT_TIMEOUT_MINUTES=0 never cancels', async () => {
    const never = await createTestApp({ ...ORDERS_TEST_ENV, ORDER_PAYMENT_TIMEOUT_MINUTES: '0' });
    try {
      const service = never.get(PaymentExpiryService);
      expect(service.enabled).toBe(false);
      expect(await service.expireUnpaid(new Date(Date.now() + 10 * 365 * 24 * 3600_000))).toBe(0);
    } finally {
      await never.close();
    }
  });
});
