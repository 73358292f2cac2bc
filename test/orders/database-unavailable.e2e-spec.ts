import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type pg from 'pg';
import { registerUser } from '../support/auth.js';
import { ProductFactory } from '../support/catalog.js';
import { TcpProxy, hostPortOf } from '../support/tcp-proxy.js';
import { createTestApp } from '../support/test-app.js';
import {
  keyRows,
  lockProduct,
  newKey,
  ordersOfUser,
  OrdersClient,
  ORDERS_TEST_ENV,
  primaryPool,
  stockInDb,
  until,
  waitUntilBlocked,
} from './orders-fixtures.js';

/**
 * API.md (Operations): "When a dependency is down, a request that needs it gets 503 with
 * Retry-After and the contract's error body, never a 500: a write while the primary is
 * unreachable […]". The checkout route documents the same 503 ("retry with the same key").
 */
function expectServiceUnavailable(res: { statusCode: number; headers: Record<string, unknown>; body: string }): void {
  expect({ status: res.statusCode, retryAfter: res.headers['retry-after'] !== undefined }).toEqual({ status: 503, retryAfter: true });
  expect(JSON.parse(res.body)).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
  expect(res.body).not.toMatch(/ECONNREFUSED|timeout exceeded|SELECT|INSERT|stack/i);
}

describe('orders while the primary database cannot be reached', () => {
  let db: pg.Pool;

  beforeAll(() => {
    db = primaryPool();
  });
  afterAll(async () => {
    await db.end();
  });

  describe('primary unreachable (a proxy in front of it is stopped)', () => {
    let proxy: TcpProxy;
    let app: NestFastifyApplication;

    beforeAll(async () => {
      const url = process.env.DB_PRIMARY_URL!;
      proxy = new TcpProxy(hostPortOf(url));
      await proxy.start();
      app = await createTestApp({ ...ORDERS_TEST_ENV, DB_PRIMARY_URL: proxy.rewrite(url) });
    });
    afterAll(async () => {
      await app?.close();
      await proxy?.stop();
    });

    it('checkout and order reads → 503 with Retry-After (not 500); the key stays free and works once the primary is back', async () => {
      const orders = new OrdersClient(app);
      const products = await ProductFactory.create(app);
      const u = await registerUser(app);
      const p = await products.product({ stock: 10 });
      const placed = await orders.place(u.accessToken, [{ productId: p.id, quantity: 1 }]);
      const key = newKey();
      const body = { items: [{ productId: p.id, quantity: 2 }] };

      await proxy.stop();
      let down = true;
      let answers: Awaited<ReturnType<OrdersClient['checkout']>>[];
      try {
        answers = [
          await orders.checkout(u.accessToken, key, body),
          await orders.get(u.accessToken, placed.id),
          await orders.list(u.accessToken),
        ];
        await proxy.start();
        down = false;
      } finally {
        if (down) await proxy.start();
      }

      expect(await keyRows(db, u.user.id, key)).toBe(0);
      expect(await stockInDb(db, p.id)).toBe(9);
      const retry = await until('checkout to work again', async () => {
        const res = await orders.checkout(u.accessToken, key, body);
        return res.statusCode >= 500 ? null : res;
      });
      expect(retry.statusCode).toBe(201);
      expect(await stockInDb(db, p.id)).toBe(7);
      expect(await ordersOfUser(db, u.user.id)).toBe(2);
      // what the client was told while the primary was down
      for (const answer of answers) expectServiceUnavailable(answer);
    });
  });

  describe('every pool connection busy', () => {
    let app: NestFastifyApplication;

    beforeAll(async () => {
      app = await createTestApp({ ...ORDERS_TEST_ENV, DB_POOL_SIZE: '2' });
    });
    afterAll(async () => {
      await app?.close();
    });

    it('a request that cannot get a connection in time → 503 with Retry-After (not 500); the waiting checkouts then complete', async () => {
      const orders = new OrdersClient(app);
      const products = await ProductFactory.create(app);
      const u = await registerUser(app);
      const p = await products.product({ stock: 10 });
      // two checkouts wait on the product row inside their transactions: both connections are taken
      const lock = await lockProduct(p.id);
      let pending: ReturnType<OrdersClient['checkout']>[];
      let res: Awaited<ReturnType<OrdersClient['checkout']>>;
      try {
        pending = [0, 1].map(() => orders.checkout(u.accessToken, newKey(), { items: [{ productId: p.id, quantity: 1 }] }));
        const first = await waitUntilBlocked(db, lock.pid, /catalog\.products/);
        // the second waits behind the lock holder or behind the first
        await until('both pool connections to be inside a waiting transaction', async () => {
          const { rows } = await db.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM pg_stat_activity WHERE pg_blocking_pids(pid) && $1::int[]',
            [[lock.pid, first.pid]],
          );
          return rows[0].n >= 2;
        });
        res = await orders.list(u.accessToken);
      } finally {
        await lock.release();
      }
      expect((await Promise.all(pending)).map((r) => r.statusCode)).toEqual([201, 201]);
      expectServiceUnavailable(res);
    });
  });
});
