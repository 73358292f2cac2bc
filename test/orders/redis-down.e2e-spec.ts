import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type pg from 'pg';
import { registerUser } from '../support/auth.js';
import { ProductFactory } from '../support/catalog.js';
import { TcpProxy, hostPortOf } from '../support/tcp-proxy.js';
import { createTestApp } from '../support/test-app.js';
import { CartClient } from '../cart/cart-fixtures.js';
import {
  keyRows,
  newKey,
  ordersOfUser,
  OrdersClient,
  ORDERS_TEST_ENV,
  primaryPool,
  stockInDb,
  until,
  type OrderBody,
} from './orders-fixtures.js';

/** Redis unreachable for this instance only (a proxy in front of it is stopped). */
describe('checkout while Redis is down', () => {
  let proxy: TcpProxy;
  let app: NestFastifyApplication;
  let orders: OrdersClient;
  let cart: CartClient;
  let db: pg.Pool;

  beforeAll(async () => {
    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';
    proxy = new TcpProxy(hostPortOf(redisUrl));
    await proxy.start();
    app = await createTestApp({ ...ORDERS_TEST_ENV, REDIS_URL: proxy.rewrite(redisUrl) });
    orders = new OrdersClient(app);
    cart = new CartClient(app);
    db = primaryPool();
  });
  afterAll(async () => {
    await db.end();
    await app?.close();
    await proxy?.stop();
  });

  it('{ items } still checks out (stock in Postgres); {} → 503 leaving the key free, which works once Redis is back', async () => {
    const products = await ProductFactory.create(app);
    const u = await registerUser(app);
    const p = await products.product({ stock: 10 });
    expect((await cart.add(p.id, 2, { token: u.accessToken })).statusCode).toBe(200);

    await proxy.stop();
    let down = true;
    try {
      const itemsKey = newKey();
      const direct = await orders.checkout(u.accessToken, itemsKey, { items: [{ productId: p.id, quantity: 1 }] });
      expect(direct.statusCode).toBe(201);
      expect(await stockInDb(db, p.id)).toBe(9);
      const replay = await orders.checkout(u.accessToken, itemsKey, { items: [{ productId: p.id, quantity: 1 }] });
      expect(replay.body).toBe(direct.body);

      const cartKey = newKey();
      const fromCart = await orders.checkout(u.accessToken, cartKey, {});
      expect(fromCart.statusCode).toBe(503);
      expect(fromCart.body).not.toMatch(/ECONNREFUSED|Connection is closed|stack/i);
      expect(await keyRows(db, u.user.id, cartKey)).toBe(0);
      expect(await stockInDb(db, p.id)).toBe(9);
      expect(await ordersOfUser(db, u.user.id)).toBe(1);

      await proxy.start();
      down = false;
      const retry = await until('the cart checkout to work again', async () => {
        const res = await orders.checkout(u.accessToken, cartKey, {});
        return res.statusCode === 503 ? null : res;
      });
      expect(retry.statusCode).toBe(201);
      expect(retry.json<OrderBody>().items.map((l) => [l.productId, l.quantity])).toEqual([[p.id, 2]]);
      expect(await stockInDb(db, p.id)).toBe(7);
      expect(await ordersOfUser(db, u.user.id)).toBe(2);
    } finally {
      if (down) await proxy.start();
    }
  });
});
