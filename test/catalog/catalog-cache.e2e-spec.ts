import { jest } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { CacheService } from '@app/cache';
import { until } from '../orders/orders-fixtures.js';
import { createAdmin } from '../support/auth.js';
import { hostPortOf, TcpProxy } from '../support/tcp-proxy.js';
import { createTestApp } from '../support/test-app.js';
import { ProductListRepository } from '../../libs/catalog/src/repositories/product-list.repository.js';
import { ProductReader } from '../../libs/catalog/src/services/product-reader.service.js';
import { CATALOG_TEST_ENV, CatalogClient, getJson, uniq, type Category, type Product } from './catalog-fixtures.js';

// A keyspace of its own: writes by suites running in parallel must not bump the list namespace
// version under this suite's load counts.
const PRIVATE_ENV = { ...CATALOG_TEST_ENV, REDIS_KEY_PREFIX: `${process.env.REDIS_KEY_PREFIX}c` };

async function eventually(probe: () => Promise<boolean>, ms = 15_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await probe()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return probe();
}

describe('catalog caching', () => {
  let app: NestFastifyApplication;
  let other: NestFastifyApplication;
  let admin: CatalogClient;
  let category: Category;
  let ds: DataSource;

  beforeAll(async () => {
    [app, other] = await Promise.all([createTestApp(PRIVATE_ENV), createTestApp(PRIVATE_ENV)]);
    admin = new CatalogClient(app, (await createAdmin(app)).accessToken);
    const tag = uniq();
    category = await admin.createCategory({ name: `Cache ${tag}`, slug: `cache-${tag}` });
    ds = app.get<DataSource>(getDataSourceToken());
  });
  afterAll(async () => {
    await Promise.all([app.close(), other.close()]);
  });

  /** A product written straight into Postgres: nothing of it is cached anywhere. */
  async function coldProduct(): Promise<string> {
    const [row] = await ds.query<{ id: string }[]>(
      `INSERT INTO catalog.products (sku, name, description, price_cents, currency, stock, category_id)
       VALUES ($1, 'Cold', 'never read', 100, 'EUR', 3, $2) RETURNING id`,
      [`COLD-${uniq()}`, category.id],
    );
    return row.id;
  }

  it('a cold product requested by 200 concurrent clients is read from the database once', async () => {
    const id = await coldProduct();
    const spy = jest.spyOn(app.get(ProductReader), 'loadProduct');
    try {
      const results = await Promise.all(Array.from({ length: 200 }, () => app.inject({ method: 'GET', url: `/api/v1/products/${id}` })));
      expect(results.every((r) => r.statusCode === 200 && r.json().id === id)).toBe(true);
      expect(new Set(results.map((r) => r.headers.etag)).size).toBe(1);
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('…also across two instances (distributed load lock): one database read in total', async () => {
    const id = await coldProduct();
    const spies = [app, other].map((x) => jest.spyOn(x.get(ProductReader), 'loadProduct'));
    try {
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => (i % 2 ? other : app).inject({ method: 'GET', url: `/api/v1/products/${id}` })),
      );
      expect(results.every((r) => r.statusCode === 200)).toBe(true);
      expect(spies[0].mock.calls.length + spies[1].mock.calls.length).toBe(1);
    } finally {
      spies.forEach((s) => s.mockRestore());
    }
  });

  it('caches unknown ids briefly (no database read per request for a missing product)', async () => {
    const spy = jest.spyOn(app.get(ProductReader), 'loadProduct');
    try {
      const missing = '00000000-0000-4000-8000-00000000beef';
      for (let i = 0; i < 5; i++) expect((await app.inject({ method: 'GET', url: `/api/v1/products/${missing}` })).statusCode).toBe(404);
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('serves repeated list queries from the cache (one load per normalized query)', async () => {
    const spy = jest.spyOn(app.get(ProductListRepository), 'run');
    try {
      const q = `cache-${uniq()}`;
      await getJson(app, `/api/v1/products?q=${q}&sort=price&page=1`);
      await getJson(app, `/api/v1/products?page=1&sort=price&q=${q.toUpperCase()}&limit=20`);
      await getJson(app, `/api/v1/products?sort=price&q=%20${q}%20`);
      expect(spy).toHaveBeenCalledTimes(1);
      await getJson(app, `/api/v1/products?q=${q}&sort=-price`);
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
    }
  });

  it('reports hits and misses for the products, product-lists and categories namespaces', async () => {
    const p = await admin.createProduct({ name: 'Stats', priceCents: 100, categoryId: category.id });
    const cache = app.get(CacheService);
    await admin.patchProduct(p.id, { name: 'Stats 2' }); // products entry replaced, lists and categories fresh
    for (let i = 0; i < 2; i++) {
      await getJson(app, `/api/v1/products/${p.id}`);
      await getJson(app, `/api/v1/products?category=${category.slug}`);
      await getJson(app, '/api/v1/categories');
    }
    const { namespaces } = cache.stats.snapshot();
    for (const ns of ['products', 'product-lists', 'categories']) {
      expect([ns, namespaces[ns].hits > 0, namespaces[ns].misses > 0]).toEqual([ns, true, true]);
    }
    const cached: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await (cache.client as import('ioredis').Redis).scan(
        cursor,
        'MATCH',
        `${PRIVATE_ENV.REDIS_KEY_PREFIX}:products:*`,
        'COUNT',
        1000,
      );
      cursor = next;
      cached.push(...keys);
    } while (cursor !== '0');
    expect(cached.length).toBeGreaterThan(0);
    expect(cached.every((k) => k.startsWith(`${PRIVATE_ENV.REDIS_KEY_PREFIX}:`))).toBe(true);
  });

  it('keeps answering from Postgres while Redis is down, and caches again once it is back (no restart)', async () => {
    const proxy = new TcpProxy(hostPortOf(process.env.REDIS_URL!));
    await proxy.start();
    const isolated = await createTestApp({ ...PRIVATE_ENV, REDIS_URL: proxy.rewrite(process.env.REDIS_URL!) });
    const reader = isolated.get(ProductReader);
    const loads = jest.spyOn(reader, 'loadProduct');
    const listLoads = jest.spyOn(isolated.get(ProductListRepository), 'run');
    try {
      const p = await admin.createProduct({ name: 'Outage v1', priceCents: 100, categoryId: category.id });
      const listUrl = `/api/v1/products?category=${category.slug}&q=outage`;
      expect((await getJson<Product>(isolated, `/api/v1/products/${p.id}`)).status).toBe(200);

      await proxy.stop();
      // L1 still answers until this instance's subscriber sees its connection close (a moment
      // later on a loaded machine); from then on it is bypassed and Postgres answers.
      const l1 = isolated.get(CacheService).l1;
      await until('L1 bypassed', async () => l1 === undefined || l1.suspended, 10_000);
      for (let i = 0; i < 5; i++) {
        const one = await getJson<Product>(isolated, `/api/v1/products/${p.id}`);
        expect(one.status).toBe(200);
        expect(one.body.name).toBe('Outage v1');
        const list = await getJson<{ items: Product[] }>(isolated, listUrl);
        expect(list.status).toBe(200);
        expect(list.body.items.map((x) => x.id)).toEqual([p.id]);
        expect((await getJson(isolated, '/api/v1/categories')).status).toBe(200);
        expect((await getJson(isolated, '/api/v1/products/bestsellers')).status).toBe(200);
      }
      expect(loads.mock.calls.length).toBeGreaterThanOrEqual(5); // served by Postgres
      // A write on another instance while this one cannot reach Redis: it reads Postgres, so it sees it.
      expect((await admin.patchProduct(p.id, { name: 'Outage v2' })).statusCode).toBe(200);
      expect((await getJson<Product>(isolated, `/api/v1/products/${p.id}`)).body.name).toBe('Outage v2');

      await proxy.start();
      // Cached again without a restart: two reads in a row, the second without a database read.
      const recovered = await eventually(async () => {
        await getJson(isolated, `/api/v1/products/${p.id}`);
        await getJson(isolated, listUrl);
        const [before, listBefore] = [loads.mock.calls.length, listLoads.mock.calls.length];
        const again = await getJson<Product>(isolated, `/api/v1/products/${p.id}`);
        const list = await getJson(isolated, listUrl);
        return (
          again.status === 200 && list.status === 200 && loads.mock.calls.length === before && listLoads.mock.calls.length === listBefore
        );
      });
      expect(recovered).toBe(true);
      expect((await getJson<Product>(isolated, `/api/v1/products/${p.id}`)).body.name).toBe('Outage v2');
    } finally {
      loads.mockRestore();
      listLoads.mockRestore();
      await proxy.start().catch(() => undefined);
      await isolated.close();
      await proxy.stop();
    }
  });
});
