import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { bearer, registerUser, type RegisteredUser } from '../support/auth.js';
import { ProductFactory } from '../support/catalog.js';
import { createTestApp } from '../support/test-app.js';
import { CartClient, type CartBody } from '../cart/cart-fixtures.js';
import {
  lockProduct,
  messageOf,
  newKey,
  ordersOfUser,
  ordersWithProduct,
  OrdersClient,
  ORDERS_TEST_ENV,
  primaryPool,
  stockInDb,
  stockViaApi,
  waitUntilBlocked,
  type OrderBody,
  type OrderPageBody,
} from './orders-fixtures.js';

describe('checkout (POST /api/v1/orders)', () => {
  let app: NestFastifyApplication;
  let orders: OrdersClient;
  let cart: CartClient;
  let products: ProductFactory;
  let db: pg.Pool;

  beforeAll(async () => {
    app = await createTestApp(ORDERS_TEST_ENV);
    orders = new OrdersClient(app);
    cart = new CartClient(app);
    products = await ProductFactory.create(app);
    db = primaryPool();
  });
  afterAll(async () => {
    await db.end();
    await app.close();
  });

  const listOf = async (u: RegisteredUser): Promise<OrderPageBody> => {
    const res = await orders.list(u.accessToken);
    expect(res.statusCode).toBe(200);
    return res.json();
  };

  it('from { items } → 201 with the contract shape and totals; stock decreased', async () => {
    const u = await registerUser(app);
    const a = await products.product({ priceCents: 1250, stock: 20 });
    const b = await products.product({ priceCents: 399, stock: 5 });
    const res = await orders.checkout(u.accessToken, newKey(), {
      items: [
        { productId: b.id, quantity: 3 },
        { productId: a.id, quantity: 2 },
      ],
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    const body = res.json<OrderBody>();
    expect(Object.keys(body)).toEqual(['id', 'status', 'items', 'totalCents', 'currency', 'createdAt']);
    expect(body.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(body.status).toBe('placed');
    expect(body.currency).toBe(a.currency);
    expect(new Date(body.createdAt).toISOString()).toBe(body.createdAt);
    expect(Math.abs(Date.parse(body.createdAt) - Date.now())).toBeLessThan(5 * 60_000);
    // lines in request order, each a snapshot of the product
    expect(body.items).toEqual([
      { productId: b.id, sku: b.sku, name: b.name, unitPriceCents: 399, quantity: 3, lineTotalCents: 1197 },
      { productId: a.id, sku: a.sku, name: a.name, unitPriceCents: 1250, quantity: 2, lineTotalCents: 2500 },
    ]);
    for (const line of body.items)
      expect(Object.keys(line)).toEqual(['productId', 'sku', 'name', 'unitPriceCents', 'quantity', 'lineTotalCents']);
    expect(body.totalCents).toBe(3 * 399 + 2 * 1250);
    expect(body.totalCents).toBe(body.items.reduce((s, l) => s + l.unitPriceCents * l.quantity, 0));

    expect(await stockInDb(db, a.id)).toBe(18);
    expect(await stockInDb(db, b.id)).toBe(2);
    expect(await stockViaApi(app, a.id)).toBe(18);
    expect(await stockViaApi(app, b.id)).toBe(2);
  });

  it('the order is readable at once after creation (GET /orders/:id) and listed', async () => {
    const u = await registerUser(app);
    const p = await products.product({ priceCents: 700, stock: 10 });
    // read straight after each checkout, several times, so a read from a lagging replica would show
    for (let i = 0; i < 5; i++) {
      const res = await orders.checkout(u.accessToken, newKey(), { items: [{ productId: p.id, quantity: 1 }] });
      expect(res.statusCode).toBe(201);
      const created = res.json<OrderBody>();
      const read = await orders.get(u.accessToken, created.id);
      expect(read.statusCode).toBe(200);
      expect(read.json()).toEqual({ ...created, userId: u.user.id });
    }
    const page = await listOf(u);
    expect(page.total).toBe(5);
  });

  it('from {} checks out the caller’s cart and empties it after success', async () => {
    const u = await registerUser(app);
    const [a, b] = await products.products(2, { stock: 10, priceCents: 250 });
    expect((await cart.add(a.id, 2, { token: u.accessToken })).statusCode).toBe(200);
    expect((await cart.add(b.id, 3, { token: u.accessToken })).statusCode).toBe(200);
    expect((await cart.get({ token: u.accessToken })).json<CartBody>().items).toHaveLength(2);

    const res = await orders.checkout(u.accessToken, newKey(), {});
    expect(res.statusCode).toBe(201);
    const body = res.json<OrderBody>();
    const quantities = Object.fromEntries(body.items.map((l) => [l.productId, l.quantity]));
    expect(quantities).toEqual({ [a.id]: 2, [b.id]: 3 });
    expect(body.totalCents).toBe(5 * 250);
    expect(await stockInDb(db, a.id)).toBe(8);
    expect(await stockInDb(db, b.id)).toBe(7);

    const after = (await cart.get({ token: u.accessToken })).json<CartBody>();
    expect(after.items).toHaveLength(0);
    expect(after.totalCents).toBe(0);
  });

  it('from {} with an empty cart → 422, nothing created', async () => {
    const u = await registerUser(app);
    const res = await orders.checkout(u.accessToken, newKey(), {});
    expect(res.statusCode).toBe(422);
    expect(messageOf(res.body)).toMatch(/cart/i);
    expect((await listOf(u)).total).toBe(0);
    expect(await ordersOfUser(db, u.user.id)).toBe(0);
  });

  it('from {} with short stock → 409, the cart is kept and nothing changes', async () => {
    const u = await registerUser(app);
    const scarce = await products.product({ stock: 3 });
    const plenty = await products.product({ stock: 50 });
    expect((await cart.add(scarce.id, 3, { token: u.accessToken })).statusCode).toBe(200);
    expect((await cart.add(plenty.id, 1, { token: u.accessToken })).statusCode).toBe(200);
    // someone else buys some of the scarce product meanwhile
    const other = await registerUser(app);
    await orders.place(other.accessToken, [{ productId: scarce.id, quantity: 2 }]);

    const res = await orders.checkout(u.accessToken, newKey(), {});
    expect(res.statusCode).toBe(409);
    expect(messageOf(res.body)).toContain(scarce.id);
    expect(messageOf(res.body)).not.toContain(plenty.id);
    expect(await stockInDb(db, scarce.id)).toBe(1);
    expect(await stockInDb(db, plenty.id)).toBe(50);
    expect(await ordersOfUser(db, u.user.id)).toBe(0);
    const kept = (await cart.get({ token: u.accessToken })).json<CartBody>();
    expect(Object.fromEntries(kept.items.map((i) => [i.productId, i.quantity]))).toEqual({ [scarce.id]: 3, [plenty.id]: 1 });
  });

  it('from {} with a product deleted since it was put in the cart → 409 naming it, nothing changes, cart kept', async () => {
    const u = await registerUser(app);
    const gone = await products.product({ stock: 10 });
    const kept = await products.product({ stock: 10 });
    expect((await cart.add(gone.id, 1, { token: u.accessToken })).statusCode).toBe(200);
    expect((await cart.add(kept.id, 2, { token: u.accessToken })).statusCode).toBe(200);
    expect(
      (await app.inject({ method: 'DELETE', url: `/api/v1/products/${gone.id}`, headers: bearer(products.client.token) })).statusCode,
    ).toBe(204);
    const res = await orders.checkout(u.accessToken, newKey(), {});
    expect(res.statusCode).toBe(409);
    expect(messageOf(res.body)).toContain(gone.id);
    expect(await stockInDb(db, kept.id)).toBe(10);
    expect(await ordersOfUser(db, u.user.id)).toBe(0);
    expect((await cart.get({ token: u.accessToken })).json<CartBody>().items.map((i) => i.productId)).toContain(kept.id);
  });

  it('from {}: a line added to the cart while the checkout runs is not bought, so it stays in the cart', async () => {
    const u = await registerUser(app);
    const a = await products.product({ stock: 10 });
    const b = await products.product({ stock: 10 });
    expect((await cart.add(a.id, 1, { token: u.accessToken })).statusCode).toBe(200);
    // hold a's row so the checkout (which has already read the cart) waits inside its transaction
    const lock = await lockProduct(a.id);
    let pending: ReturnType<OrdersClient['checkout']>;
    try {
      pending = orders.checkout(u.accessToken, newKey(), {});
      await waitUntilBlocked(db, lock.pid, /catalog\.products/);
      expect((await cart.add(b.id, 1, { token: u.accessToken })).statusCode).toBe(200);
    } finally {
      await lock.release();
    }
    const res = await pending;
    expect(res.statusCode).toBe(201);
    expect(res.json<OrderBody>().items.map((l) => [l.productId, l.quantity])).toEqual([[a.id, 1]]);
    expect(await stockInDb(db, b.id)).toBe(10);
    // b was neither ordered nor may it silently vanish from the cart
    const after = (await cart.get({ token: u.accessToken })).json<CartBody>();
    expect(after.items.map((i) => [i.productId, i.quantity])).toEqual([[b.id, 1]]);
  });

  it('short stock → 409 naming every short product (and not the others); no stock taken, no order', async () => {
    const u = await registerUser(app);
    const short1 = await products.product({ stock: 1 });
    const short2 = await products.product({ stock: 2 });
    const fine = await products.product({ stock: 100 });
    const res = await orders.checkout(u.accessToken, newKey(), {
      items: [
        { productId: fine.id, quantity: 5 },
        { productId: short1.id, quantity: 2 },
        { productId: short2.id, quantity: 3 },
      ],
    });
    expect(res.statusCode).toBe(409);
    const message = messageOf(res.body);
    expect(message).toContain(short1.id);
    expect(message).toContain(short2.id);
    expect(message).not.toContain(fine.id);
    expect(await stockInDb(db, short1.id)).toBe(1);
    expect(await stockInDb(db, short2.id)).toBe(2);
    expect(await stockInDb(db, fine.id)).toBe(100);
    expect(await stockViaApi(app, fine.id)).toBe(100);
    expect((await listOf(u)).total).toBe(0);
    expect(await ordersWithProduct(db, fine.id)).toEqual([]);
  });

  it('unknown product id in items → 404 naming it; nothing changes', async () => {
    const u = await registerUser(app);
    const known = await products.product({ stock: 10 });
    const unknown = randomUUID();
    const res = await orders.checkout(u.accessToken, newKey(), {
      items: [
        { productId: known.id, quantity: 1 },
        { productId: unknown, quantity: 1 },
      ],
    });
    expect(res.statusCode).toBe(404);
    expect(messageOf(res.body)).toContain(unknown);
    expect(await stockInDb(db, known.id)).toBe(10);
    expect((await listOf(u)).total).toBe(0);
  });

  it('a deleted product in items → 404', async () => {
    const u = await registerUser(app);
    const gone = await products.product({ stock: 10 });
    expect(
      (await app.inject({ method: 'DELETE', url: `/api/v1/products/${gone.id}`, headers: bearer(products.client.token) })).statusCode,
    ).toBe(204);
    const res = await orders.checkout(u.accessToken, newKey(), { items: [{ productId: gone.id, quantity: 1 }] });
    expect(res.statusCode).toBe(404);
    expect(messageOf(res.body)).toContain(gone.id);
  });

  describe('Idempotency-Key header', () => {
    it('missing → 400 naming Idempotency-Key; nothing created', async () => {
      const u = await registerUser(app);
      const p = await products.product({ stock: 10 });
      const res = await orders.checkout(u.accessToken, undefined, { items: [{ productId: p.id, quantity: 1 }] });
      expect(res.statusCode).toBe(400);
      expect(messageOf(res.body)).toMatch(/Idempotency-Key/);
      expect(await stockInDb(db, p.id)).toBe(10);
      expect(await ordersOfUser(db, u.user.id)).toBe(0);
    });

    it('256 characters → 400; 255 characters → 201', async () => {
      const u = await registerUser(app);
      const p = await products.product({ stock: 10 });
      const tag = randomUUID();
      const tooLong = await orders.checkout(u.accessToken, tag + 'x'.repeat(256 - tag.length), {
        items: [{ productId: p.id, quantity: 1 }],
      });
      expect(tooLong.statusCode).toBe(400);
      expect(messageOf(tooLong.body)).toMatch(/Idempotency-Key/);
      expect(await stockInDb(db, p.id)).toBe(10);

      const max = await orders.checkout(u.accessToken, tag + 'y'.repeat(255 - tag.length), { items: [{ productId: p.id, quantity: 1 }] });
      expect(max.statusCode).toBe(201);
      expect(await stockInDb(db, p.id)).toBe(9);
    });

    it('empty → 400', async () => {
      const u = await registerUser(app);
      const p = await products.product({ stock: 10 });
      const res = await orders.checkout(u.accessToken, '', { items: [{ productId: p.id, quantity: 1 }] });
      expect(res.statusCode).toBe(400);
      expect(await stockInDb(db, p.id)).toBe(10);
    });
  });

  describe('body validation', () => {
    it('unknown body field → 400 naming it; nothing created', async () => {
      const u = await registerUser(app);
      const p = await products.product({ stock: 10 });
      const res = await orders.checkout(u.accessToken, newKey(), { items: [{ productId: p.id, quantity: 1 }], coupon: 'FREE' });
      expect(res.statusCode).toBe(400);
      expect(messageOf(res.body)).toMatch(/coupon/);
      const nested = await orders.checkout(u.accessToken, newKey(), { items: [{ productId: p.id, quantity: 1, priceCents: 1 } as never] });
      expect(nested.statusCode).toBe(400);
      expect(messageOf(nested.body)).toMatch(/priceCents/);
      expect(await stockInDb(db, p.id)).toBe(10);
      expect(await ordersOfUser(db, u.user.id)).toBe(0);
    });

    it.each([
      ['empty items', { items: [] }],
      ['quantity 0', { items: [{ productId: randomUUID(), quantity: 0 }] }],
      ['non-integer quantity', { items: [{ productId: randomUUID(), quantity: 1.5 }] }],
      ['malformed productId', { items: [{ productId: 'not-a-uuid', quantity: 1 }] }],
    ])('%s → 400', async (_label, payload) => {
      const u = await registerUser(app);
      const res = await orders.checkout(u.accessToken, newKey(), payload);
      expect(res.statusCode).toBe(400);
      expect(await ordersOfUser(db, u.user.id)).toBe(0);
    });

    it('"items": null → 400 (not a 500), nothing created', async () => {
      const u = await registerUser(app);
      const res = await orders.checkout(u.accessToken, newKey(), { items: null } as never);
      expect(res.statusCode).toBe(400);
      expect(messageOf(res.body)).toMatch(/items/);
      expect(await ordersOfUser(db, u.user.id)).toBe(0);
    });

    it('the same product twice → 400, nothing taken', async () => {
      const u = await registerUser(app);
      const p = await products.product({ stock: 10 });
      const res = await orders.checkout(u.accessToken, newKey(), {
        items: [
          { productId: p.id, quantity: 1 },
          { productId: p.id.toUpperCase(), quantity: 1 },
        ],
      });
      expect(res.statusCode).toBe(400);
      expect(await stockInDb(db, p.id)).toBe(10);
    });

    it('without a token → 401', async () => {
      const res = await app.inject({ method: 'POST', url: '/api/v1/orders', headers: { 'idempotency-key': newKey() }, payload: {} });
      expect(res.statusCode).toBe(401);
    });
  });

  it('a product deleted or changed after the order still reads in the order as it was bought', async () => {
    const u = await registerUser(app);
    const p = await products.product({ priceCents: 4321, stock: 10, name: `Snapshot ${randomUUID().slice(0, 8)}` });
    const q = await products.product({ priceCents: 100, stock: 10 });
    const created = await orders.place(u.accessToken, [
      { productId: p.id, quantity: 2 },
      { productId: q.id, quantity: 1 },
    ]);
    expect(
      (await app.inject({ method: 'DELETE', url: `/api/v1/products/${p.id}`, headers: bearer(products.client.token) })).statusCode,
    ).toBe(204);
    expect((await app.inject({ method: 'GET', url: `/api/v1/products/${p.id}` })).statusCode).toBe(404);
    expect((await products.client.patchProduct(q.id, { priceCents: 999, name: 'Renamed' })).statusCode).toBe(200);

    const read = await orders.get(u.accessToken, created.id);
    expect(read.statusCode).toBe(200);
    const body = read.json<OrderBody>();
    expect(body.items).toEqual([
      { productId: p.id, sku: p.sku, name: p.name, unitPriceCents: 4321, quantity: 2, lineTotalCents: 8642 },
      { productId: q.id, sku: q.sku, name: q.name, unitPriceCents: 100, quantity: 1, lineTotalCents: 100 },
    ]);
    expect(body.totalCents).toBe(8742);
    expect((await orders.list(u.accessToken)).json<OrderPageBody>().items[0].items).toEqual(body.items);
  });
});
