import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type pg from 'pg';
import { bearer, registerUser, type RegisteredUser } from '../support/auth.js';
import { ProductFactory, type Product } from '../support/catalog.js';
import { freePort, spawnNode, type Spawned } from '../support/spawn-node.js';
import { repoRoot } from '../support/test-env.js';
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
  type OrderBody,
} from './orders-fixtures.js';

const API = resolve(repoRoot, 'dist/apps/api/src/main.js');

async function backendGone(db: pg.Pool, pid: number): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]);
  return rows.length === 0;
}

describe('a checkout killed mid-transaction (SIGKILL)', () => {
  let app: NestFastifyApplication;
  let orders: OrdersClient;
  let products: ProductFactory;
  let db: pg.Pool;
  let child: Spawned;
  let base: string;

  beforeAll(async () => {
    if (!existsSync(API)) throw new Error('dist/ is missing: run `npm run build` (npm test does it)');
    db = primaryPool();
    app = await createTestApp(ORDERS_TEST_ENV);
    orders = new OrdersClient(app);
    products = await ProductFactory.create(app);
  });
  afterAll(async () => {
    if (child && child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
    await db.end();
    await app.close();
  });

  /** The built API as a child process on a free port, sharing this run's database and Redis prefix. */
  async function startChild(): Promise<void> {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // Without its own L1 cache the child never registers on the invalidation bus, so the writes
    // after its death do not wait for the acknowledgement of a dead instance.
    child = spawnNode(API, { PORT: String(port), HOST: '127.0.0.1', CACHE_L1_ENABLED: 'false', ...ORDERS_TEST_ENV });
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        if ((await fetch(`${base}/health/ready`)).status === 200) return;
      } catch {
        // not listening yet
      }
      if (child.child.exitCode !== null || Date.now() > deadline) throw new Error(`API did not become ready:\n${child.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Sends a checkout to the child without waiting for it (the answer never comes). */
  function checkoutOnChild(u: RegisteredUser, key: string, items: { productId: string; quantity: number }[]): void {
    fetch(`${base}/api/v1/orders`, {
      method: 'POST',
      headers: { ...bearer(u.accessToken), 'idempotency-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ items }),
    }).catch(() => undefined);
  }

  async function killChildWhileBlocked(lock: { pid: number; release: () => Promise<void> }): Promise<number> {
    // the child's transaction has claimed the key and waits for the product row
    const blocked = await waitUntilBlocked(db, lock.pid, /catalog\.products/);
    expect(blocked.wait_event_type).toBe('Lock');
    // it is mid-transaction: the key is already claimed (its row inserted, not committed)
    const { rows } = await db.query('SELECT 1 FROM pg_locks WHERE pid = $1 AND relation = $2::regclass', [
      blocked.pid,
      'orders.idempotency_keys',
    ]);
    expect(rows.length).toBeGreaterThan(0);
    child.child.kill('SIGKILL');
    const exit = await child.exit;
    expect(exit.signal).toBe('SIGKILL');
    await lock.release();
    // the backend notices its client is gone and rolls the transaction back
    await until('the killed checkout’s backend to end', () => backendGone(db, blocked.pid));
    return blocked.pid;
  }

  it('leaves no order, no taken stock and a free key; the same key then succeeds', async () => {
    await startChild();
    const u = await registerUser(app);
    const p: Product = await products.product({ stock: 10 });
    const other = await products.product({ stock: 10 });
    const key = newKey();
    const items = [
      { productId: other.id, quantity: 1 },
      { productId: p.id, quantity: 3 },
    ];
    // stock is taken in product id order: whether `other` was already taken (uncommitted) when the
    // checkout blocked on `p` or not, its stock must be unchanged after the kill
    const lock = await lockProduct(p.id);
    try {
      checkoutOnChild(u, key, items);
      await killChildWhileBlocked(lock);
    } finally {
      await lock.release();
    }

    expect(await ordersOfUser(db, u.user.id)).toBe(0);
    expect(await stockInDb(db, p.id)).toBe(10);
    expect(await stockInDb(db, other.id)).toBe(10);
    expect(await keyRows(db, u.user.id, key)).toBe(0);
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM outbox.events WHERE event_type = 'order.placed' AND payload->>'userId' = $1`,
      [u.user.id],
    );
    expect(rows[0].n).toBe(0);

    const retry = await orders.checkout(u.accessToken, key, { items });
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    const order = retry.json<OrderBody>();
    expect(order.items.map((l) => [l.productId, l.quantity])).toEqual(items.map((i) => [i.productId, i.quantity]));
    expect(await stockInDb(db, p.id)).toBe(7);
    expect(await stockInDb(db, other.id)).toBe(9);
    expect(await ordersOfUser(db, u.user.id)).toBe(1);
    // and the key now replays
    const replay = await orders.checkout(u.accessToken, key, { items });
    expect(replay.body).toBe(retry.body);
  });

  it('a request waiting on the killed request’s key takes the key over and creates exactly one order', async () => {
    await startChild();
    const u = await registerUser(app);
    const p = await products.product({ stock: 10 });
    const key = newKey();
    const items = [{ productId: p.id, quantity: 2 }];
    const lock = await lockProduct(p.id);
    let waiting: ReturnType<OrdersClient['checkout']> | undefined;
    try {
      checkoutOnChild(u, key, items);
      const childBackend = await waitUntilBlocked(db, lock.pid, /catalog\.products/);
      // the same key on the in-process API: blocks on the child's uncommitted claim
      waiting = orders.checkout(u.accessToken, key, { items });
      await waitUntilBlocked(db, childBackend.pid, /idempotency_keys/);
      child.child.kill('SIGKILL');
      await child.exit;
      await lock.release();
      await until('the killed checkout’s backend to end', () => backendGone(db, childBackend.pid));
    } finally {
      await lock.release();
    }
    const res = await waiting;
    expect(res.statusCode).toBe(201);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    expect(await ordersOfUser(db, u.user.id)).toBe(1);
    expect(await stockInDb(db, p.id)).toBe(8);
    expect(await keyRows(db, u.user.id, key)).toBe(1);
  });
});
