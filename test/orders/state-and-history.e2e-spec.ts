import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createAdmin, registerUser, type RegisteredUser } from '../support/auth.js';
import { ProductFactory, type Product } from '../support/catalog.js';
import { createTestApp } from '../support/test-app.js';
import {
  messageOf,
  OrdersClient,
  ORDERS_TEST_ENV,
  primaryPool,
  stockInDb,
  type HistoryEntryBody,
  type OrderBody,
  type OrderPageBody,
} from './orders-fixtures.js';

const STATUSES = ['placed', 'paid', 'shipped', 'delivered', 'cancelled'] as const;
type Status = (typeof STATUSES)[number];
const LEGAL: Record<Status, Status[]> = {
  placed: ['paid', 'cancelled'],
  paid: ['shipped', 'cancelled'],
  shipped: ['delivered'],
  delivered: [],
  cancelled: [],
};
/** The admin transitions that bring a fresh (placed) order to each status. */
const PATH_TO: Record<Status, Status[]> = {
  placed: [],
  paid: ['paid'],
  shipped: ['paid', 'shipped'],
  delivered: ['paid', 'shipped', 'delivered'],
  cancelled: ['cancelled'],
};

describe('order status, cancellation, reads and history', () => {
  let app: NestFastifyApplication;
  let orders: OrdersClient;
  let products: ProductFactory;
  let admin: RegisteredUser;
  let db: pg.Pool;

  beforeAll(async () => {
    app = await createTestApp(ORDERS_TEST_ENV);
    orders = new OrdersClient(app);
    products = await ProductFactory.create(app);
    admin = await createAdmin(app);
    db = primaryPool();
  });
  afterAll(async () => {
    await db.end();
    await app.close();
  });

  const historyOf = async (token: string, id: string): Promise<HistoryEntryBody[]> => {
    const res = await orders.history(token, id);
    expect(res.statusCode).toBe(200);
    return res.json();
  };
  const statusOf = async (id: string): Promise<string> => (await orders.get(admin.accessToken, id)).json<OrderBody>().status;

  /** A fresh customer with one placed order of `quantity` units of a fresh product (stock 10). */
  async function freshOrder(quantity = 2): Promise<{ u: RegisteredUser; p: Product; order: OrderBody }> {
    const u = await registerUser(app);
    const p = await products.product({ stock: 10 });
    const order = await orders.place(u.accessToken, [{ productId: p.id, quantity }]);
    return { u, p, order };
  }

  async function orderIn(status: Status): Promise<{ u: RegisteredUser; p: Product; order: OrderBody }> {
    const fresh = await freshOrder();
    for (const to of PATH_TO[status]) expect((await orders.setStatus(admin.accessToken, fresh.order.id, to)).statusCode).toBe(200);
    return fresh;
  }

  describe('PATCH /orders/:id/status (admin)', () => {
    it('the new order has one history entry: null → placed by its customer', async () => {
      const { u, order } = await freshOrder();
      const history = await historyOf(u.accessToken, order.id);
      expect(history).toEqual([{ at: order.createdAt, from: null, to: 'placed', actor: `customer:${u.user.id}` }]);
    });

    it.each([
      ['placed → paid → shipped → delivered', ['paid', 'shipped', 'delivered']],
      ['placed → cancelled', ['cancelled']],
      ['placed → paid → cancelled', ['paid', 'cancelled']],
    ] as [string, Status[]][])('%s: each legal step → 200 and exactly one new history entry', async (_label, path) => {
      const { u, p, order } = await freshOrder();
      let from: Status = 'placed';
      for (const [i, to] of path.entries()) {
        const res = await orders.setStatus(admin.accessToken, order.id, to);
        expect(res.statusCode).toBe(200);
        const body = res.json<OrderBody>();
        expect(body).toMatchObject({ id: order.id, status: to, userId: u.user.id, items: order.items, totalCents: order.totalCents });
        const history = await historyOf(u.accessToken, order.id);
        expect(history).toHaveLength(i + 2);
        expect(history[i + 1]).toMatchObject({ from, to, actor: `admin:${admin.user.id}` });
        expect(Date.parse(history[i + 1].at)).toBeGreaterThanOrEqual(Date.parse(history[i].at));
        expect(await statusOf(order.id)).toBe(to);
        // only a cancellation gives the 2 units back
        expect(await stockInDb(db, p.id)).toBe(to === 'cancelled' ? 10 : 8);
        from = to;
      }
      const verify = await orders.verify(admin.accessToken, order.id);
      expect(verify.json()).toEqual({ valid: true, entries: path.length + 1, brokenAt: null });
    });

    it.each(STATUSES)('from %s: every illegal target → 409 naming both statuses, no new entry, status unchanged', async (status) => {
      const { u, order } = await orderIn(status);
      const before = await historyOf(u.accessToken, order.id);
      for (const to of STATUSES.filter((t) => !LEGAL[status].includes(t))) {
        const res = await orders.setStatus(admin.accessToken, order.id, to);
        expect([to, res.statusCode]).toEqual([to, 409]);
        expect(messageOf(res.body)).toContain(status);
        expect(messageOf(res.body)).toContain(to);
        expect(await historyOf(u.accessToken, order.id)).toEqual(before);
        expect(await statusOf(order.id)).toBe(status);
      }
    });

    it('an unknown or missing status value → 400, nothing changes', async () => {
      const { u, order } = await freshOrder();
      for (const payload of [{ status: 'refunded' }, { status: 'PAID' }, {}, { status: 'paid', note: 'x' }]) {
        const res = await app.inject({
          method: 'PATCH',
          url: `/api/v1/orders/${order.id}/status`,
          headers: { authorization: `Bearer ${admin.accessToken}` },
          payload,
        });
        expect([JSON.stringify(payload), res.statusCode]).toEqual([JSON.stringify(payload), 400]);
      }
      expect(await historyOf(u.accessToken, order.id)).toHaveLength(1);
      expect(await statusOf(order.id)).toBe('placed');
    });

    it('a customer (even the owner) → 403', async () => {
      const { u, order } = await freshOrder();
      const res = await orders.setStatus(u.accessToken, order.id, 'paid');
      expect(res.statusCode).toBe(403);
      expect(await statusOf(order.id)).toBe('placed');
      expect(await historyOf(u.accessToken, order.id)).toHaveLength(1);
    });

    it('unknown order → 404; malformed id → 400', async () => {
      expect((await orders.setStatus(admin.accessToken, randomUUID(), 'paid')).statusCode).toBe(404);
      expect((await orders.setStatus(admin.accessToken, 'nope', 'paid')).statusCode).toBe(400);
    });

    it('shipping and cancelling a paid order at once: exactly one wins; stock matches the final status', async () => {
      for (let round = 0; round < 4; round++) {
        const { u, p, order } = await orderIn('paid');
        const [ship, cancel] = await Promise.all([
          orders.setStatus(admin.accessToken, order.id, 'shipped'),
          orders.cancel(u.accessToken, order.id),
        ]);
        expect([ship.statusCode, cancel.statusCode].sort()).toEqual([200, 409]);
        const status = await statusOf(order.id);
        expect(status).toBe(ship.statusCode === 200 ? 'shipped' : 'cancelled');
        expect(await stockInDb(db, p.id)).toBe(status === 'cancelled' ? 10 : 8);
        expect(await historyOf(u.accessToken, order.id)).toHaveLength(3);
      }
    });

    it('10 concurrent identical transitions → exactly one 200 and one history entry', async () => {
      const { u, order } = await freshOrder();
      const results = await Promise.all(Array.from({ length: 10 }, () => orders.setStatus(admin.accessToken, order.id, 'paid')));
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, ...Array(9).fill(409)]);
      expect(await historyOf(u.accessToken, order.id)).toHaveLength(2);
      expect((await orders.verify(admin.accessToken, order.id)).json()).toEqual({ valid: true, entries: 2, brokenAt: null });
    });
  });

  describe('POST /orders/:id/cancel', () => {
    it.each(['placed', 'paid'] as Status[])(
      'the owner cancels a %s order → 200, stock given back, one entry by the owner',
      async (status) => {
        const { u, p, order } = await orderIn(status);
        expect(await stockInDb(db, p.id)).toBe(8);
        const before = (await historyOf(u.accessToken, order.id)).length;
        const res = await orders.cancel(u.accessToken, order.id);
        expect(res.statusCode).toBe(200);
        expect(res.json()).toMatchObject({ id: order.id, status: 'cancelled', userId: u.user.id });
        expect(await stockInDb(db, p.id)).toBe(10);
        const history = await historyOf(u.accessToken, order.id);
        expect(history).toHaveLength(before + 1);
        expect(history.at(-1)).toMatchObject({ from: status, to: 'cancelled', actor: `customer:${u.user.id}` });
        const product = await app.inject({ method: 'GET', url: `/api/v1/products/${p.id}` });
        expect(product.json<{ stock: number }>().stock).toBe(10);
      },
    );

    it.each(['shipped', 'delivered', 'cancelled'] as Status[])(
      'cancelling a %s order → 409, stock and history unchanged',
      async (status) => {
        const { u, p, order } = await orderIn(status);
        const stock = await stockInDb(db, p.id);
        const before = await historyOf(u.accessToken, order.id);
        for (const token of [u.accessToken, admin.accessToken]) {
          const res = await orders.cancel(token, order.id);
          expect(res.statusCode).toBe(409);
          expect(messageOf(res.body)).toContain(status);
        }
        expect(await stockInDb(db, p.id)).toBe(stock);
        expect(await historyOf(u.accessToken, order.id)).toEqual(before);
        expect(await statusOf(order.id)).toBe(status);
      },
    );

    it('10 concurrent cancels of one order → one 200, stock given back exactly once', async () => {
      const { u, p, order } = await freshOrder(3);
      expect(await stockInDb(db, p.id)).toBe(7);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => orders.cancel(i % 2 ? admin.accessToken : u.accessToken, order.id)),
      );
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, ...Array(9).fill(409)]);
      expect(await stockInDb(db, p.id)).toBe(10);
      expect(await historyOf(u.accessToken, order.id)).toHaveLength(2);
    });

    it('another customer cannot cancel, read or see the history of my order (404); nothing changes', async () => {
      const { u, p, order } = await freshOrder();
      const stranger = await registerUser(app);
      expect((await orders.cancel(stranger.accessToken, order.id)).statusCode).toBe(404);
      expect((await orders.get(stranger.accessToken, order.id)).statusCode).toBe(404);
      expect((await orders.history(stranger.accessToken, order.id)).statusCode).toBe(404);
      // indistinguishable from an order that does not exist
      const unknown = await orders.get(stranger.accessToken, randomUUID());
      expect(unknown.statusCode).toBe(404);
      expect(await statusOf(order.id)).toBe('placed');
      expect(await stockInDb(db, p.id)).toBe(8);
      expect(await historyOf(u.accessToken, order.id)).toHaveLength(1);
    });

    it('an admin can read and cancel any order (actor admin)', async () => {
      const { u, p, order } = await freshOrder();
      const read = await orders.get(admin.accessToken, order.id);
      expect(read.statusCode).toBe(200);
      expect(read.json()).toEqual({ ...order, userId: u.user.id });
      expect((await orders.history(admin.accessToken, order.id)).statusCode).toBe(200);
      const res = await orders.cancel(admin.accessToken, order.id);
      expect(res.statusCode).toBe(200);
      expect(await stockInDb(db, p.id)).toBe(10);
      expect((await historyOf(u.accessToken, order.id)).at(-1)).toMatchObject({
        from: 'placed',
        to: 'cancelled',
        actor: `admin:${admin.user.id}`,
      });
    });

    it('unknown order → 404', async () => {
      const u = await registerUser(app);
      expect((await orders.cancel(u.accessToken, randomUUID())).statusCode).toBe(404);
      expect((await orders.cancel(admin.accessToken, randomUUID())).statusCode).toBe(404);
    });
  });

  describe('GET /orders', () => {
    let buyer: RegisteredUser;
    let placed: OrderBody[];

    beforeAll(async () => {
      buyer = await registerUser(app);
      const p = await products.product({ stock: 100 });
      placed = [];
      for (let i = 0; i < 5; i++) placed.push(await orders.place(buyer.accessToken, [{ productId: p.id, quantity: i + 1 }]));
    });

    it('lists the caller’s orders newest first, paginated', async () => {
      const newestFirst = [...placed].reverse().map((o) => o.id);
      const all = (await orders.list(buyer.accessToken)).json<OrderPageBody>();
      expect(all).toMatchObject({ total: 5, page: 1, limit: 20 });
      expect(all.items.map((o) => o.id)).toEqual(newestFirst);
      expect(all.items[0]).toEqual({ ...placed[4], userId: buyer.user.id });

      const pages: string[] = [];
      for (let page = 1; page <= 3; page++) {
        const res = await orders.list(buyer.accessToken, { page, limit: 2 });
        expect(res.statusCode).toBe(200);
        const body = res.json<OrderPageBody>();
        expect(body).toMatchObject({ total: 5, page, limit: 2 });
        expect(body.items.length).toBe(page < 3 ? 2 : 1);
        pages.push(...body.items.map((o) => o.id));
      }
      expect(pages).toEqual(newestFirst);
      const beyond = (await orders.list(buyer.accessToken, { page: 4, limit: 2 })).json<OrderPageBody>();
      expect(beyond.items).toEqual([]);
      expect(beyond.total).toBe(5);
    });

    it('invalid pagination → 400', async () => {
      const queries: Record<string, string | number>[] = [
        { page: 0 },
        { limit: 0 },
        { limit: 101 },
        { page: 'x' },
        { userId: 'not-a-uuid' },
      ];
      for (const q of queries) {
        const res = await orders.list(buyer.accessToken, q);
        expect([q, res.statusCode]).toEqual([q, 400]);
      }
    });

    it('customers see only their own orders', async () => {
      const other = await registerUser(app);
      const own = await orders.place(other.accessToken, [{ productId: placed[0].items[0].productId, quantity: 1 }]);
      const body = (await orders.list(other.accessToken)).json<OrderPageBody>();
      expect(body.total).toBe(1);
      expect(body.items.map((o) => o.id)).toEqual([own.id]);
      // passing their own id is fine
      const self = await orders.list(other.accessToken, { userId: other.user.id });
      expect(self.statusCode).toBe(200);
      expect(self.json<OrderPageBody>().total).toBe(1);
    });

    it('a customer asking for another user’s orders → 403', async () => {
      const other = await registerUser(app);
      const res = await orders.list(other.accessToken, { userId: buyer.user.id });
      expect(res.statusCode).toBe(403);
    });

    it('an admin with ?userId=X sees only X’s orders; without it, everyone’s', async () => {
      const res = await orders.list(admin.accessToken, { userId: buyer.user.id, limit: 100 });
      expect(res.statusCode).toBe(200);
      const body = res.json<OrderPageBody>();
      expect(body.total).toBe(5);
      expect(body.items.map((o) => o.id)).toEqual([...placed].reverse().map((o) => o.id));
      expect(body.items.every((o) => o.userId === buyer.user.id)).toBe(true);
      // upper-case id spelling is the same user
      expect((await orders.list(admin.accessToken, { userId: buyer.user.id.toUpperCase() })).json<OrderPageBody>().total).toBe(5);

      const everyone = (await orders.list(admin.accessToken, { limit: 100 })).json<OrderPageBody>();
      expect(everyone.total).toBeGreaterThan(5);
      expect(new Set(everyone.items.map((o) => o.userId)).size).toBeGreaterThan(1);
      const nobody = (await orders.list(admin.accessToken, { userId: randomUUID() })).json<OrderPageBody>();
      expect(nobody).toMatchObject({ total: 0, items: [] });
    });
  });

  describe('history verification and tampering', () => {
    /** A connection allowed to bypass triggers, as someone with database access would. */
    async function asTamperer<T>(work: (c: pg.Client) => Promise<T>): Promise<T> {
      const client = new pg.Client({ connectionString: process.env.DB_PRIMARY_URL });
      await client.connect();
      try {
        await client.query('SET session_replication_role = replica');
        return await work(client);
      } finally {
        await client.end();
      }
    }

    async function deliveredOrder(): Promise<{ u: RegisteredUser; order: OrderBody }> {
      const { u, order } = await orderIn('delivered');
      expect(await historyOf(u.accessToken, order.id)).toHaveLength(4);
      return { u, order };
    }

    it('a valid history verifies → { valid: true, entries: n, brokenAt: null }', async () => {
      const { order } = await deliveredOrder();
      const res = await orders.verify(admin.accessToken, order.id);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ valid: true, entries: 4, brokenAt: null });
      const fresh = await freshOrder();
      expect((await orders.verify(admin.accessToken, fresh.order.id)).json()).toEqual({ valid: true, entries: 1, brokenAt: null });
    });

    it('a customer (even the owner) on verify → 403; unknown order → 404', async () => {
      const { u, order } = await freshOrder();
      expect((await orders.verify(u.accessToken, order.id)).statusCode).toBe(403);
      expect((await orders.verify(admin.accessToken, randomUUID())).statusCode).toBe(404);
    });

    it('the history table is append-only: UPDATE and DELETE from a plain connection fail', async () => {
      const { order } = await deliveredOrder();
      await expect(db.query(`UPDATE orders.history SET actor = 'system' WHERE order_id = $1 AND seq = 2`, [order.id])).rejects.toThrow(
        /append-only/,
      );
      await expect(db.query('DELETE FROM orders.history WHERE order_id = $1', [order.id])).rejects.toThrow(/append-only/);
      const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM orders.history WHERE order_id = $1', [order.id]);
      expect(rows[0].n).toBe(4);
      expect((await orders.verify(admin.accessToken, order.id)).json()).toEqual({ valid: true, entries: 4, brokenAt: null });
    });

    it.each([0, 1, 3])('an actor changed behind the API’s back (entry index %i) → valid false, brokenAt that index', async (index) => {
      const { order } = await deliveredOrder();
      await asTamperer(async (c) => {
        const res = await c.query(`UPDATE orders.history SET actor = 'system' WHERE order_id = $1 AND seq = $2`, [order.id, index + 1]);
        expect(res.rowCount).toBe(1);
      });
      expect((await orders.verify(admin.accessToken, order.id)).json()).toEqual({ valid: false, entries: 4, brokenAt: index });
    });

    it('a status or timestamp changed behind the API’s back → brokenAt that index', async () => {
      const a = await deliveredOrder();
      await asTamperer((c) => c.query(`UPDATE orders.history SET to_status = 'cancelled' WHERE order_id = $1 AND seq = 3`, [a.order.id]));
      expect((await orders.verify(admin.accessToken, a.order.id)).json()).toEqual({ valid: false, entries: 4, brokenAt: 2 });
      const b = await deliveredOrder();
      await asTamperer((c) =>
        c.query(`UPDATE orders.history SET at = at - interval '1 day' WHERE order_id = $1 AND seq = 2`, [b.order.id]),
      );
      expect((await orders.verify(admin.accessToken, b.order.id)).json()).toEqual({ valid: false, entries: 4, brokenAt: 1 });
    });

    it('the last entry deleted behind the API’s back → valid false, brokenAt = remaining entries count', async () => {
      const { order } = await deliveredOrder();
      await asTamperer(async (c) => {
        const res = await c.query('DELETE FROM orders.history WHERE order_id = $1 AND seq = 4', [order.id]);
        expect(res.rowCount).toBe(1);
      });
      // history-chain.ts: brokenAt = entries.length when only the tail is missing (4 - 1 = 3)
      expect((await orders.verify(admin.accessToken, order.id)).json()).toEqual({ valid: false, entries: 3, brokenAt: 3 });
    });

    it('a middle entry deleted behind the API’s back → brokenAt at the gap', async () => {
      const { order } = await deliveredOrder();
      await asTamperer((c) => c.query('DELETE FROM orders.history WHERE order_id = $1 AND seq = 2', [order.id]));
      expect((await orders.verify(admin.accessToken, order.id)).json()).toEqual({ valid: false, entries: 3, brokenAt: 1 });
    });
  });
});
