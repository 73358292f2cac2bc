import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { bearer, createAdmin, randomClientIp, registerUser, type RegisteredUser } from '../support/auth.js';
import { CatalogClient, uniq, type Category, type Product } from '../catalog/catalog-fixtures.js';
import { hostPortOf, TcpProxy } from '../support/tcp-proxy.js';
import { createTestApp } from '../support/test-app.js';
import { CatalogCache } from '../../libs/catalog/src/services/catalog-cache.service.js';

/**
 * The Postgres primary taken away (a proxy in front of it is stopped; the shared server keeps
 * running for the other suites): every write answers 503 with Retry-After and the contract's error
 * body, never a 500; catalog reads are served from the replica; readiness says degraded.
 */
const ip = () => ({ 'x-forwarded-for': randomClientIp() });

/**
 * How long the replica may take to have the rows: a suite running beside this one pauses its replay
 * for a while (test/catalog/consistency: 15 writes, over 15 s on a slow machine).
 */
const REPLICA_WAIT_MS = 120_000;

describe('Postgres primary outage', () => {
  const primary = new TcpProxy(hostPortOf(process.env.DB_PRIMARY_URL!));
  const replica = new TcpProxy(hostPortOf(process.env.DB_REPLICA_URL!));
  let app: NestFastifyApplication;
  let admin: RegisteredUser;
  let customer: RegisteredUser;
  let catalog: CatalogClient;
  let category: Category;
  let products: Product[];
  let orderId: string;
  let otherSessionId: string;

  beforeAll(async () => {
    await Promise.all([primary.start(), replica.start()]);
    app = await createTestApp({
      THROTTLE_LIMIT: '1000000',
      // A cache of its own: suites running beside this one read (and so cache) the shared category
      // list from the primary, which would look like a replica answer cached during the outage.
      REDIS_KEY_PREFIX: `${process.env.REDIS_KEY_PREFIX}o`,
      DB_PRIMARY_URL: primary.rewrite(process.env.DB_PRIMARY_URL!),
      DB_REPLICA_URL: replica.rewrite(process.env.DB_REPLICA_URL!),
    });
    admin = await createAdmin(app);
    customer = await registerUser(app);
    catalog = new CatalogClient(app, admin.accessToken);
    const tag = uniq();
    category = await catalog.createCategory({ name: `Outage ${tag}`, slug: `outage-${tag}` });
    products = await Promise.all(
      [0, 1, 2].map((i) => catalog.createProduct({ name: `Outage ${tag} ${i}`, priceCents: 100 + i, stock: 50, categoryId: category.id })),
    );
    const added = await app.inject({
      method: 'POST',
      url: '/api/v1/cart/items',
      headers: bearer(customer.accessToken),
      payload: { productId: products[0].id, quantity: 1 },
    });
    expect(added.statusCode).toBe(200);
    const order = await app.inject({
      method: 'POST',
      url: '/api/v1/orders',
      headers: { ...bearer(customer.accessToken), 'idempotency-key': randomUUID() },
      payload: { items: [{ productId: products[1].id, quantity: 1 }] },
    });
    expect(order.statusCode).toBe(201);
    orderId = order.json().id;
    const second = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: ip(),
      payload: { email: customer.email, password: customer.password },
    });
    expect(second.statusCode).toBe(200);
    const sessions = await app.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: bearer(customer.accessToken) });
    otherSessionId = sessions.json<{ id: string; current: boolean }[]>().find((x) => !x.current)!.id;
    await waitForReplica(app, category.slug, products.length);
  }, REPLICA_WAIT_MS + 60_000);

  afterAll(async () => {
    await app?.close();
    await Promise.all([primary.stop(), replica.stop()]);
  });

  /** Runs `fn` with the primary unreachable, and puts it back afterwards. */
  async function withoutPrimary<T>(fn: () => Promise<T>): Promise<T> {
    await primary.stop();
    try {
      return await fn();
    } finally {
      await primary.start();
    }
  }

  it('answers every write with 503, Retry-After and the error body (never a 500)', async () => {
    const writes: [string, () => ReturnType<NestFastifyApplication['inject']>][] = [
      [
        'register',
        () =>
          app.inject({
            method: 'POST',
            url: '/api/v1/auth/register',
            headers: ip(),
            payload: { email: `${randomUUID()}@example.com`, password: 'a-long-password', name: 'N' },
          }),
      ],
      [
        'login',
        () =>
          app.inject({
            method: 'POST',
            url: '/api/v1/auth/login',
            headers: ip(),
            payload: { email: customer.email, password: customer.password },
          }),
      ],
      [
        'login (wrong password)',
        () =>
          app.inject({
            method: 'POST',
            url: '/api/v1/auth/login',
            headers: ip(),
            payload: { email: customer.email, password: 'wrong-password' },
          }),
      ],
      [
        'refresh',
        () => app.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: ip(), payload: { refreshToken: customer.refreshToken } }),
      ],
      [
        'profile name',
        () =>
          app.inject({
            method: 'PATCH',
            url: '/api/v1/users/me',
            headers: { ...ip(), ...bearer(customer.accessToken) },
            payload: { name: 'Renamed' },
          }),
      ],
      [
        'profile password',
        () =>
          app.inject({
            method: 'PATCH',
            url: '/api/v1/users/me',
            headers: { ...ip(), ...bearer(customer.accessToken) },
            payload: { password: 'another-long-password', currentPassword: customer.password },
          }),
      ],
      [
        'checkout of the cart',
        () =>
          app.inject({
            method: 'POST',
            url: '/api/v1/orders',
            headers: { ...bearer(customer.accessToken), 'idempotency-key': randomUUID() },
            payload: {},
          }),
      ],
      [
        'checkout of items',
        () =>
          app.inject({
            method: 'POST',
            url: '/api/v1/orders',
            headers: { ...bearer(customer.accessToken), 'idempotency-key': randomUUID() },
            payload: { items: [{ productId: products[1].id, quantity: 1 }] },
          }),
      ],
      [
        'create category',
        () =>
          app.inject({
            method: 'POST',
            url: '/api/v1/categories',
            headers: bearer(admin.accessToken),
            payload: { name: 'X', slug: `x-${uniq()}` },
          }),
      ],
      [
        'update category',
        () =>
          app.inject({
            method: 'PATCH',
            url: `/api/v1/categories/${category.id}`,
            headers: bearer(admin.accessToken),
            payload: { name: 'Renamed' },
          }),
      ],
      [
        'create product',
        () =>
          app.inject({
            method: 'POST',
            url: '/api/v1/products',
            headers: bearer(admin.accessToken),
            payload: { sku: `SKU-${uniq()}`, name: 'P', priceCents: 1, stock: 1, categoryId: category.id },
          }),
      ],
      ['update product', () => catalog.patchProduct(products[2].id, { priceCents: 999 })],
      ['inventory', () => catalog.inventory([{ productId: products[2].id, delta: 1 }])],
      [
        'delete product',
        () => app.inject({ method: 'DELETE', url: `/api/v1/products/${products[2].id}`, headers: bearer(admin.accessToken) }),
      ],
      [
        'set role',
        () =>
          app.inject({
            method: 'PATCH',
            url: `/api/v1/users/${customer.user.id}`,
            headers: bearer(admin.accessToken),
            payload: { role: 'customer' },
          }),
      ],
      [
        'delete category',
        () => app.inject({ method: 'DELETE', url: `/api/v1/categories/${category.id}`, headers: bearer(admin.accessToken) }),
      ],
      [
        'cancel order',
        () => app.inject({ method: 'POST', url: `/api/v1/orders/${orderId}/cancel`, headers: bearer(customer.accessToken) }),
      ],
      [
        'order status',
        () =>
          app.inject({
            method: 'PATCH',
            url: `/api/v1/orders/${orderId}/status`,
            headers: bearer(admin.accessToken),
            payload: { status: 'paid' },
          }),
      ],
      [
        'revoke session',
        () => app.inject({ method: 'DELETE', url: `/api/v1/auth/sessions/${otherSessionId}`, headers: bearer(customer.accessToken) }),
      ],
      ['logout', () => app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(customer.accessToken) })],
    ];
    const answers = await withoutPrimary(async () => {
      const out: Record<string, { status: number; retryAfter: unknown; body: Record<string, unknown> }> = {};
      for (const [name, call] of writes) {
        const res = await call();
        out[name] = { status: res.statusCode, retryAfter: res.headers['retry-after'], body: res.json() };
      }
      return out;
    });
    for (const [name, answer] of Object.entries(answers)) {
      expect({ name, status: answer.status }).toEqual({ name, status: 503 });
      expect({ name, retryAfter: Number(answer.retryAfter) > 0 }).toEqual({ name, retryAfter: true });
      expect(answer.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable', requestId: expect.any(String) });
      expect(JSON.stringify(answer.body)).not.toMatch(/ECONNREFUSED|SELECT|INSERT|UPDATE|stack|terminated/i);
    }
    // Nothing was written meanwhile: the product kept its price and is still there.
    const after = await untilOk(() => app.inject({ method: 'GET', url: `/api/v1/products/${products[2].id}` }));
    expect(after.json()).toMatchObject({ priceCents: products[2].priceCents, stock: 50 });
  });

  it('serves every product, list and category read from the replica while the primary is down, without caching those answers', async () => {
    const cache = app.get(CatalogCache);
    // Nothing cached: every read below has to reach Postgres.
    expect(await cache.catalogChanged()).toBe(true);
    await waitForReplica(app, category.slug, products.length);
    const reads: [string, string, (body: any) => void][] = [
      ...products.map((p): [string, string, (body: any) => void] => [
        `product ${p.name}`,
        `/api/v1/products/${p.id}`,
        (b) => expect(b).toMatchObject({ id: p.id, name: p.name, category: { id: category.id } }),
      ]),
      [
        'list by category',
        `/api/v1/products?category=${category.slug}&sort=price`,
        (b) => expect(b.items.map((i: Product) => i.id)).toEqual(products.map((p) => p.id)),
      ],
      [
        'list by text',
        `/api/v1/products?q=${encodeURIComponent(products[1].name)}`,
        (b) => expect(b.items.map((i: Product) => i.id)).toContain(products[1].id),
      ],
      [
        'list page 2',
        `/api/v1/products?category=${category.slug}&sort=-price&page=2&limit=1`,
        (b) => expect(b).toMatchObject({ total: 3, page: 2, items: [{ id: products[1].id }] }),
      ],
      ['default list', '/api/v1/products', (b) => expect(b.total).toBeGreaterThanOrEqual(3)],
      [
        'categories',
        '/api/v1/categories',
        (b) => expect(b).toEqual(expect.arrayContaining([expect.objectContaining({ id: category.id, slug: category.slug })])),
      ],
    ];
    const failures: string[] = [];
    let served = 0;
    await withoutPrimary(async () => {
      for (let round = 0; round < 5; round++) {
        for (const [name, url, check] of reads) {
          const res = await app.inject({ method: 'GET', url });
          if (res.statusCode !== 200) {
            failures.push(`${name}: ${res.statusCode}`);
            continue;
          }
          check(res.json());
          served++;
        }
      }
      // The replica's answers were served, not cached: none can outlive the outage.
      for (const p of products) expect(await cache.products.get(p.id, { l1: false })).toBeUndefined();
      expect(await cache.categories.get('all', { l1: false })).toBeUndefined();
    });
    expect(failures).toEqual([]);
    expect(served).toBe(reads.length * 5);
    // Back on the primary (reads retry it a couple of seconds after its last failure): cached again.
    const deadline = Date.now() + 15_000;
    let cached: unknown;
    while (cached === undefined && Date.now() < deadline) {
      const res = await app.inject({ method: 'GET', url: `/api/v1/products/${products[0].id}` });
      expect(res.json()).toMatchObject({ id: products[0].id });
      cached = await cache.products.get(products[0].id, { l1: false });
      if (cached === undefined) await new Promise((r) => setTimeout(r, 250));
    }
    expect(cached).toMatchObject({ id: products[0].id });
  });
  it('prices the cart from the replica while the primary is down, also when product reads race it (never a 500)', async () => {
    const cache = app.get(CatalogCache);
    expect(await cache.catalogChanged()).toBe(true); // nothing cached: pricing has to reach Postgres
    await waitForReplica(app, category.slug, products.length);
    const statuses: number[] = [];
    await withoutPrimary(async () => {
      for (let round = 0; round < 3; round++) {
        expect(await cache.catalogChanged()).toBe(true);
        // The cart's batch lookup and single product reads of the same id share one load.
        const [cart, ...reads] = await Promise.all([
          app.inject({ method: 'GET', url: '/api/v1/cart', headers: bearer(customer.accessToken) }),
          ...products.map((p) => app.inject({ method: 'GET', url: `/api/v1/products/${p.id}` })),
        ]);
        statuses.push(cart.statusCode, ...reads.map((r) => r.statusCode));
        expect(cart.statusCode).toBe(200);
        expect(cart.json().items).toEqual([expect.objectContaining({ productId: products[0].id, quantity: 1 })]);
      }
      // Served from the replica, not cached.
      expect(await cache.products.get(products[0].id, { l1: false })).toBeUndefined();
    });
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });
});

/**
 * A network partition rather than a refused connection: the proxy keeps the app's pooled
 * connections open but passes nothing, and accepts new ones it never answers. Writes must still
 * end in 503 with Retry-After (bounded by the client-side query timeout, statement timeout + 2 s,
 * or the 3 s connect timeout), never hang or answer 500; catalog reads still come from the replica.
 */
describe('Postgres primary behind a network partition', () => {
  const primary = new TcpProxy(hostPortOf(process.env.DB_PRIMARY_URL!));
  let app: NestFastifyApplication;
  let admin: RegisteredUser;
  let customer: RegisteredUser;
  let catalog: CatalogClient;
  let products: Product[];
  let category: Category;

  beforeAll(async () => {
    await primary.start();
    app = await createTestApp({
      THROTTLE_LIMIT: '1000000',
      DB_STATEMENT_TIMEOUT_MS: '1000',
      DB_PRIMARY_URL: primary.rewrite(process.env.DB_PRIMARY_URL!),
    });
    admin = await createAdmin(app);
    customer = await registerUser(app);
    catalog = new CatalogClient(app, admin.accessToken);
    const tag = uniq();
    category = await catalog.createCategory({ name: `Partition ${tag}`, slug: `partition-${tag}` });
    products = await Promise.all(
      [0, 1].map((i) => catalog.createProduct({ name: `Partition ${tag} ${i}`, priceCents: 100 + i, stock: 50, categoryId: category.id })),
    );
    await waitForReplica(app, category.slug, products.length);
    // Pooled primary connections exist (the writes above used them) and the catalog cache is cold.
    expect(await app.get(CatalogCache).catalogChanged()).toBe(true);
  }, REPLICA_WAIT_MS + 60_000);
  afterAll(async () => {
    await app?.close();
    await primary.stop();
  });

  it('writes answer 503 with Retry-After within the timeouts; product, list and category reads answer from the replica', async () => {
    primary.freeze();
    let writes: { name: string; status: number; retryAfter: unknown }[];
    let reads: { url: string; status: number }[];
    try {
      const calls: [string, () => ReturnType<NestFastifyApplication['inject']>][] = [
        ['update product', () => catalog.patchProduct(products[0].id, { priceCents: 999 })],
        ['inventory', () => catalog.inventory([{ productId: products[1].id, delta: 1 }])],
        [
          'create category',
          () =>
            app.inject({
              method: 'POST',
              url: '/api/v1/categories',
              headers: bearer(admin.accessToken),
              payload: { name: 'X', slug: `x-${uniq()}` },
            }),
        ],
        [
          'checkout',
          () =>
            app.inject({
              method: 'POST',
              url: '/api/v1/orders',
              headers: { ...bearer(customer.accessToken), 'idempotency-key': randomUUID() },
              payload: { items: [{ productId: products[1].id, quantity: 1 }] },
            }),
        ],
        [
          'profile',
          () =>
            app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: bearer(customer.accessToken), payload: { name: 'Renamed' } }),
        ],
      ];
      // All at once, as concurrent clients would: several pooled connections get stuck together.
      writes = await Promise.all(
        calls.map(async ([name, call]) => {
          const res = await call();
          return { name, status: res.statusCode, retryAfter: res.headers['retry-after'] };
        }),
      );
      const urls = [...products.map((p) => `/api/v1/products/${p.id}`), `/api/v1/products?category=${category.slug}`, '/api/v1/categories'];
      reads = [];
      for (const url of [...urls, ...urls]) reads.push({ url, status: (await app.inject({ method: 'GET', url })).statusCode });
    } finally {
      await primary.stop();
      await primary.start();
    }
    for (const w of writes)
      expect({ name: w.name, status: w.status, retryAfter: Number(w.retryAfter) > 0 }).toEqual({
        name: w.name,
        status: 503,
        retryAfter: true,
      });
    expect(reads.filter((r) => r.status !== 200)).toEqual([]);
    const back = await untilOk(() => catalog.patchProduct(products[0].id, { priceCents: 555 }));
    expect(back.json()).toMatchObject({ priceCents: 555 });
  });
});

/** Waits until the replica has the rows written so far (a list query on it counts them). */
async function waitForReplica(app: NestFastifyApplication, slug: string, n: number): Promise<void> {
  const { DataSource } = await import('typeorm');
  const ds = app.get(DataSource);
  const deadline = Date.now() + REPLICA_WAIT_MS;
  for (;;) {
    const runner = ds.createQueryRunner('slave');
    try {
      const [row] = (await runner.query(
        'SELECT count(*)::int AS n FROM catalog.products p JOIN catalog.categories c ON c.id = p.category_id WHERE c.slug = $1',
        [slug],
      )) as { n: number }[];
      if (row && row.n >= n) return;
    } finally {
      await runner.release();
    }
    if (Date.now() > deadline) throw new Error('replica did not catch up');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function untilOk(call: () => ReturnType<NestFastifyApplication['inject']>) {
  const deadline = Date.now() + 15_000;
  let res = await call();
  while (res.statusCode !== 200 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    res = await call();
  }
  return res;
}
