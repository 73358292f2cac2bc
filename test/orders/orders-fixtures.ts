import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { bearer } from '../support/auth.js';

/** Order suites: rate limits out of the way (identity's subject). */
export const ORDERS_TEST_ENV = { THROTTLE_LIMIT: '1000000' };

export interface OrderLineBody {
  productId: string;
  sku: string;
  name: string;
  unitPriceCents: number;
  quantity: number;
  lineTotalCents: number;
}

export interface OrderBody {
  id: string;
  status: string;
  items: OrderLineBody[];
  totalCents: number;
  currency: string;
  createdAt: string;
  userId?: string;
}

export interface OrderPageBody {
  items: (OrderBody & { userId: string })[];
  total: number;
  page: number;
  limit: number;
}

export interface HistoryEntryBody {
  at: string;
  from: string | null;
  to: string;
  actor: string;
}

export type CheckoutPayload = { items?: { productId: string; quantity: number }[] } & Record<string, unknown>;

export const newKey = (): string => `key-${randomUUID()}`;

/** The order routes, driven through `app.inject` (any instance). */
export class OrdersClient {
  constructor(readonly app: NestFastifyApplication) {}

  checkout(token: string, key: string | undefined, payload: CheckoutPayload = {}, app = this.app) {
    const headers: Record<string, string> = { ...bearer(token) };
    if (key !== undefined) headers['idempotency-key'] = key;
    return app.inject({ method: 'POST', url: '/api/v1/orders', headers, payload });
  }

  get(token: string, id: string, app = this.app) {
    return app.inject({ method: 'GET', url: `/api/v1/orders/${id}`, headers: bearer(token) });
  }

  list(token: string, query: Record<string, string | number> = {}, app = this.app) {
    const qs = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString();
    return app.inject({ method: 'GET', url: `/api/v1/orders${qs ? `?${qs}` : ''}`, headers: bearer(token) });
  }

  cancel(token: string, id: string, app = this.app) {
    return app.inject({ method: 'POST', url: `/api/v1/orders/${id}/cancel`, headers: bearer(token) });
  }

  setStatus(token: string, id: string, status: string, app = this.app) {
    return app.inject({ method: 'PATCH', url: `/api/v1/orders/${id}/status`, headers: bearer(token), payload: { status } });
  }

  history(token: string, id: string, app = this.app) {
    return app.inject({ method: 'GET', url: `/api/v1/orders/${id}/history`, headers: bearer(token) });
  }

  verify(token: string, id: string, app = this.app) {
    return app.inject({ method: 'GET', url: `/api/v1/orders/${id}/history/verify`, headers: bearer(token) });
  }

  /**
   * A checkout as a well-behaved client sends it: a 5xx (the contract's "retry with the same key")
   * is retried with the same key and body until a 2xx/4xx answer. `retried` counts the 5xx answers.
   */
  async checkoutRetrying(
    token: string,
    key: string,
    payload: CheckoutPayload,
    app = this.app,
    attempts = 30,
  ): Promise<Awaited<ReturnType<OrdersClient['checkout']>> & { retried: number[] }> {
    const retried: number[] = [];
    for (let attempt = 1; ; attempt++) {
      const res = await this.checkout(token, key, payload, app);
      if (res.statusCode < 500 || attempt >= attempts) return Object.assign(res, { retried });
      retried.push(res.statusCode);
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 150));
    }
  }

  /** Checkout that must succeed: the created order. */
  async place(token: string, items: { productId: string; quantity: number }[], key = newKey()): Promise<OrderBody> {
    const res = await this.checkout(token, key, { items });
    if (res.statusCode !== 201) throw new Error(`place: expected 201, got ${res.statusCode}: ${res.body}`);
    return res.json();
  }
}

/** A pg pool on this run's primary database, for direct checks (and deliberate tampering). */
export function primaryPool(max = 4): pg.Pool {
  return new pg.Pool({ connectionString: process.env.DB_PRIMARY_URL, max, application_name: 'orders-tests' });
}

export async function stockInDb(db: pg.Pool | pg.Client, productId: string): Promise<number> {
  const { rows } = await db.query<{ stock: number }>('SELECT stock FROM catalog.products WHERE id = $1', [productId]);
  if (!rows[0]) throw new Error(`no product ${productId}`);
  return rows[0].stock;
}

/** Orders (ids) holding a line of the product. */
export async function ordersWithProduct(db: pg.Pool | pg.Client, productId: string): Promise<string[]> {
  const { rows } = await db.query<{ order_id: string }>('SELECT DISTINCT order_id FROM orders.order_lines WHERE product_id = $1', [
    productId,
  ]);
  return rows.map((r) => r.order_id);
}

export async function ordersOfUser(db: pg.Pool | pg.Client, userId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM orders.orders WHERE user_id = $1', [userId]);
  return rows[0].n;
}

export async function keyRows(db: pg.Pool | pg.Client, userId: string, key: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM orders.idempotency_keys WHERE user_id = $1 AND key = $2', [
    userId,
    key,
  ]);
  return rows[0].n;
}

/** GET /api/v1/products/:id → its stock (the public read path). */
export async function stockViaApi(app: NestFastifyApplication, productId: string): Promise<number> {
  const res = await app.inject({ method: 'GET', url: `/api/v1/products/${productId}` });
  if (res.statusCode !== 200) throw new Error(`GET product ${productId}: ${res.statusCode} ${res.body}`);
  return res.json<{ stock: number }>().stock;
}

/** The error message(s) of an error body as one string. */
export function messageOf(body: string): string {
  const parsed = JSON.parse(body) as { message?: string | string[] };
  return Array.isArray(parsed.message) ? parsed.message.join('\n') : String(parsed.message ?? '');
}

/** Polls `probe` until it returns something truthy. */
export async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Backends currently blocked (directly) by the backend `blocker`. */
export async function blockedBy(db: pg.Pool, blocker: number): Promise<{ pid: number; query: string; wait_event_type: string | null }[]> {
  const { rows } = await db.query<{ pid: number; query: string; wait_event_type: string | null }>(
    'SELECT pid, query, wait_event_type FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
    [blocker],
  );
  return rows;
}

/** Waits until a statement matching `query` is blocked by `blocker`; that backend. */
export async function waitUntilBlocked(
  db: pg.Pool,
  blocker: number,
  query: RegExp,
): Promise<{ pid: number; query: string; wait_event_type: string | null }> {
  const rows = await until(`a statement matching ${query} to wait for backend ${blocker}`, async () => {
    const found = (await blockedBy(db, blocker)).filter((r) => query.test(r.query));
    return found.length ? found : null;
  });
  return rows[0];
}

/** A connection holding the product's row lock (BEGIN … FOR UPDATE) until `release()` (idempotent). */
export async function lockProduct(productId: string): Promise<{ pid: number; release: () => Promise<void> }> {
  const client = new pg.Client({ connectionString: process.env.DB_PRIMARY_URL, application_name: 'orders-tests-lock-holder' });
  await client.connect();
  await client.query('BEGIN');
  await client.query('SELECT id FROM catalog.products WHERE id = $1 FOR UPDATE', [productId]);
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  let released = false;
  return {
    pid: rows[0].pid,
    release: async () => {
      if (released) return;
      released = true;
      await client.query('ROLLBACK').catch(() => undefined);
      await client.end();
    },
  };
}
