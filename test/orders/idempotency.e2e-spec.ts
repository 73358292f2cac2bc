import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type pg from 'pg';
import { registerUser } from '../support/auth.js';
import { ProductFactory } from '../support/catalog.js';
import { createTestApp } from '../support/test-app.js';
import { CartClient } from '../cart/cart-fixtures.js';
import {
  keyRows,
  messageOf,
  newKey,
  ordersOfUser,
  ordersWithProduct,
  OrdersClient,
  ORDERS_TEST_ENV,
  primaryPool,
  stockInDb,
  type OrderBody,
  type OrderPageBody,
} from './orders-fixtures.js';

describe('checkout idempotency', () => {
  let app: NestFastifyApplication;
  let app2: NestFastifyApplication;
  let orders: OrdersClient;
  let cart: CartClient;
  let products: ProductFactory;
  let db: pg.Pool;

  beforeAll(async () => {
    [app, app2] = await Promise.all([createTestApp(ORDERS_TEST_ENV), createTestApp(ORDERS_TEST_ENV)]);
    orders = new OrdersClient(app);
    cart = new CartClient(app);
    products = await ProductFactory.create(app);
    db = primaryPool();
  });
  afterAll(async () => {
    await db.end();
    await Promise.all([app.close(), app2.close()]);
  });

  const totalOrders = async (token: string): Promise<number> => (await orders.list(token)).json<OrderPageBody>().total;

  it('same key + same body → the first answer again, byte for byte, marked replayed; one order, stock taken once', async () => {
    const u = await registerUser(app);
    const p = await products.product({ stock: 10, priceCents: 555 });
    const key = newKey();
    const body = { items: [{ productId: p.id, quantity: 3 }] };
    const first = await orders.checkout(u.accessToken, key, body);
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();

    for (const instance of [app, app2, app]) {
      const again = await orders.checkout(u.accessToken, key, body, instance);
      expect(again.statusCode).toBe(first.statusCode);
      expect(again.body).toBe(first.body);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.headers['content-type']).toBe(first.headers['content-type']);
    }
    // the same body spelled differently (upper-case id) is the same request
    const upper = await orders.checkout(u.accessToken, key, { items: [{ productId: p.id.toUpperCase(), quantity: 3 }] });
    expect(upper.statusCode).toBe(201);
    expect(upper.body).toBe(first.body);

    expect(await totalOrders(u.accessToken)).toBe(1);
    expect(await ordersOfUser(db, u.user.id)).toBe(1);
    expect(await stockInDb(db, p.id)).toBe(7);
  });

  it('same key + a different body → 422; nothing more is created', async () => {
    const u = await registerUser(app);
    const [p, q] = await products.products(2, { stock: 10 });
    const key = newKey();
    const first = await orders.checkout(u.accessToken, key, { items: [{ productId: p.id, quantity: 1 }] });
    expect(first.statusCode).toBe(201);
    for (const other of [{ items: [{ productId: p.id, quantity: 2 }] }, { items: [{ productId: q.id, quantity: 1 }] }, {}]) {
      const res = await orders.checkout(u.accessToken, key, other);
      expect(res.statusCode).toBe(422);
      expect(messageOf(res.body)).toMatch(/Idempotency-Key/);
    }
    expect(await ordersOfUser(db, u.user.id)).toBe(1);
    expect(await stockInDb(db, p.id)).toBe(9);
    expect(await stockInDb(db, q.id)).toBe(10);
  });

  it('a cart checkout replays under its key after the cart was emptied (not 422 "empty cart")', async () => {
    const u = await registerUser(app);
    const p = await products.product({ stock: 10 });
    expect((await cart.add(p.id, 2, { token: u.accessToken })).statusCode).toBe(200);
    const key = newKey();
    const first = await orders.checkout(u.accessToken, key, {});
    expect(first.statusCode).toBe(201);
    const again = await orders.checkout(u.accessToken, key, {});
    expect(again.statusCode).toBe(201);
    expect(again.body).toBe(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await stockInDb(db, p.id)).toBe(8);
  });

  it('a 409 (short stock) leaves the key free: after a restock the same key succeeds with 201', async () => {
    const u = await registerUser(app);
    const p = await products.product({ stock: 1 });
    const key = newKey();
    const body = { items: [{ productId: p.id, quantity: 3 }] };
    const short = await orders.checkout(u.accessToken, key, body);
    expect(short.statusCode).toBe(409);
    expect(await keyRows(db, u.user.id, key)).toBe(0);
    // retried before the restock: still a (fresh) 409, not a replay
    const stillShort = await orders.checkout(u.accessToken, key, body);
    expect(stillShort.statusCode).toBe(409);
    expect(stillShort.headers['idempotent-replayed']).toBeUndefined();

    const restock = await products.client.inventory([{ productId: p.id, stock: 5 }]);
    expect(restock.statusCode).toBe(200);
    const ok = await orders.checkout(u.accessToken, key, body);
    expect(ok.statusCode).toBe(201);
    expect(ok.headers['idempotent-replayed']).toBeUndefined();
    expect(await stockInDb(db, p.id)).toBe(2);
    expect(await keyRows(db, u.user.id, key)).toBe(1);
    expect(await ordersOfUser(db, u.user.id)).toBe(1);
  });

  it('a 422 (empty cart) and a 404 (unknown product) leave the key free too', async () => {
    const u = await registerUser(app);
    const p = await products.product({ stock: 10 });
    const key = newKey();
    expect((await orders.checkout(u.accessToken, key, {})).statusCode).toBe(422);
    expect(await keyRows(db, u.user.id, key)).toBe(0);
    expect((await cart.add(p.id, 1, { token: u.accessToken })).statusCode).toBe(200);
    expect((await orders.checkout(u.accessToken, key, {})).statusCode).toBe(201);

    const key2 = newKey();
    const gone = await products.product({ stock: 10 });
    const del = await orders.app.inject({
      method: 'DELETE',
      url: `/api/v1/products/${gone.id}`,
      headers: { authorization: `Bearer ${products.client.token}` },
    });
    expect(del.statusCode).toBe(204);
    expect((await orders.checkout(u.accessToken, key2, { items: [{ productId: gone.id, quantity: 1 }] })).statusCode).toBe(404);
    expect(await keyRows(db, u.user.id, key2)).toBe(0);
    // a different body under that key is now a first request, not a 422
    expect((await orders.checkout(u.accessToken, key2, { items: [{ productId: p.id, quantity: 1 }] })).statusCode).toBe(201);
    expect(await ordersOfUser(db, u.user.id)).toBe(2);
  });

  it('keys are per user: two users with the same key both get 201, two orders', async () => {
    const [u1, u2] = await Promise.all([registerUser(app), registerUser(app)]);
    const p = await products.product({ stock: 10 });
    const key = newKey();
    const body = { items: [{ productId: p.id, quantity: 1 }] };
    const r1 = await orders.checkout(u1.accessToken, key, body);
    const r2 = await orders.checkout(u2.accessToken, key, body);
    expect([r1.statusCode, r2.statusCode]).toEqual([201, 201]);
    expect(r2.headers['idempotent-replayed']).toBeUndefined();
    expect(r1.json<OrderBody>().id).not.toBe(r2.json<OrderBody>().id);
    expect(await totalOrders(u1.accessToken)).toBe(1);
    expect(await totalOrders(u2.accessToken)).toBe(1);
    expect(await stockInDb(db, p.id)).toBe(8);
    expect(await ordersWithProduct(db, p.id)).toHaveLength(2);
  });

  it('20 concurrent requests with one key and body → one order; 20 × 201 with byte-identical bodies', async () => {
    const u = await registerUser(app);
    const p = await products.product({ stock: 100 });
    const key = newKey();
    const body = { items: [{ productId: p.id, quantity: 2 }] };
    const results = await Promise.all(Array.from({ length: 20 }, () => orders.checkout(u.accessToken, key, body)));
    expect(results.map((r) => r.statusCode)).toEqual(Array(20).fill(201));
    expect(new Set(results.map((r) => r.body)).size).toBe(1);
    expect(results.filter((r) => r.headers['idempotent-replayed'] === undefined)).toHaveLength(1);
    expect(results.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(19);
    expect(await totalOrders(u.accessToken)).toBe(1);
    expect(await ordersOfUser(db, u.user.id)).toBe(1);
    expect(await stockInDb(db, p.id)).toBe(98);
  });

  it('20 concurrent requests with one key and DIFFERENT bodies → exactly one 201, the others 422; one order', async () => {
    const u = await registerUser(app);
    const p = await products.product({ stock: 100 });
    const key = newKey();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => orders.checkout(u.accessToken, key, { items: [{ productId: p.id, quantity: i + 1 }] })),
    );
    const statuses = results.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([201, ...Array(19).fill(422)]);
    const winner = results.find((r) => r.statusCode === 201)!.json<OrderBody>();
    expect(await ordersOfUser(db, u.user.id)).toBe(1);
    expect(await stockInDb(db, p.id)).toBe(100 - winner.items[0].quantity);
  });

  it('concurrent requests with one key across TWO API instances → one order, the same answer everywhere', async () => {
    const u = await registerUser(app);
    const p = await products.product({ stock: 100 });
    for (let round = 0; round < 3; round++) {
      const key = newKey();
      const body = { items: [{ productId: p.id, quantity: 1 }] };
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, i) => orders.checkout(u.accessToken, key, body, i % 2 === 0 ? app : app2)),
      );
      expect(results.map((r) => r.statusCode)).toEqual(Array(16).fill(201));
      expect(new Set(results.map((r) => r.body)).size).toBe(1);
      expect(results.filter((r) => r.headers['idempotent-replayed'] === undefined)).toHaveLength(1);
    }
    expect(await ordersOfUser(db, u.user.id)).toBe(3);
    expect(await stockInDb(db, p.id)).toBe(97);
  });

  it('the idempotency row stores the answer that was sent', async () => {
    const u = await registerUser(app);
    const p = await products.product({ stock: 10 });
    const key = newKey();
    const res = await orders.checkout(u.accessToken, key, { items: [{ productId: p.id, quantity: 1 }] });
    expect(res.statusCode).toBe(201);
    const { rows } = await db.query<{ status_code: number; body: string; order_id: string }>(
      'SELECT status_code, body, order_id FROM orders.idempotency_keys WHERE user_id = $1 AND key = $2',
      [u.user.id, key],
    );
    expect(rows).toEqual([{ status_code: 201, body: res.body, order_id: res.json<OrderBody>().id }]);
  });
});
