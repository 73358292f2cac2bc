import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { CacheService } from '@app/cache';
import { InventoryService, ProductReader, ProductWriter } from '@app/catalog';
import { WorkerModule } from '../../apps/worker/src/worker.module.js';
import { CATALOG_TEST_ENV, CatalogClient, getJson, uniq, type Category, type Product } from '../catalog/catalog-fixtures.js';
import { createAdmin } from '../support/auth.js';
import { createTestApp, testConfig } from '../support/test-app.js';

// A long L1 ttl: an invalidation that did not reach the API would leave the old value visible for
// 30 s, far longer than this suite. A keyspace of its own (as catalog-cache does): catalog writes of
// suites running in parallel cannot drop this suite's entries, and their instances (some behind a
// stopped proxy) are not in this suite's invalidation-bus presence.
const ENV = {
  ...CATALOG_TEST_ENV,
  REDIS_KEY_PREFIX: `${process.env.REDIS_KEY_PREFIX}w`,
  CACHE_L1_ENABLED: 'true',
  CACHE_L1_TTL_MS: '30000',
  CACHE_L1_ACK_TIMEOUT_MS: '31000',
  // The outbox is shared by the whole run's database: this worker, on a keyspace of its own, must
  // not take other suites' events.
  OUTBOX_RELAY_ENABLED: 'false',
};

interface Page {
  items: Product[];
  total: number;
}

/** The worker (standalone context, no HTTP) next to an API instance: same domain services, same cache. */
describe('worker: domain modules and the shared cache', () => {
  let app: NestFastifyApplication;
  let worker: INestApplicationContext;
  let admin: CatalogClient;
  let category: Category;
  let ds: DataSource;

  beforeAll(async () => {
    app = await createTestApp(ENV);
    worker = await NestFactory.createApplicationContext(WorkerModule.forRoot(testConfig(ENV)), { logger: false });
    await worker.init();
    // Both L1s serve only once their invalidation bus is subscribed and present.
    await Promise.all([app.get(CacheService).ready(), worker.get(CacheService).ready()]);
    admin = new CatalogClient(app, (await createAdmin(app)).accessToken);
    const tag = uniq();
    category = await admin.createCategory({ name: `Worker ${tag}`, slug: `worker-${tag}` });
    ds = app.get<DataSource>(getDataSourceToken());
  });
  afterAll(async () => {
    await Promise.all([worker?.close(), app?.close()]);
  });

  /** L1 hits of one namespace on one instance so far. */
  const l1Hits = (ctx: INestApplicationContext, ns: string): number => ctx.get(CacheService).stats.snapshot().namespaces[ns]?.l1Hits ?? 0;

  /** Stock written straight into Postgres: no service, no invalidation. */
  const setStockBehindTheCache = async (id: string, stock: number): Promise<void> => {
    await ds.query('UPDATE catalog.products SET stock = $2 WHERE id = $1', [id, stock]);
  };

  it('boots with the domain services and the cache, separate from the API instance', () => {
    expect(worker.get(InventoryService)).toBeInstanceOf(InventoryService);
    expect(worker.get(ProductWriter)).toBeInstanceOf(ProductWriter);
    expect(worker.get(ProductReader)).toBeInstanceOf(ProductReader);
    const workerCache = worker.get(CacheService);
    expect(workerCache).toBeInstanceOf(CacheService);
    expect(workerCache.l1).toBeDefined();
    expect(workerCache.bus).toBeDefined();
    // Its own instance, not the API's: the invalidation below has to cross the bus.
    expect(workerCache).not.toBe(app.get(CacheService));
    expect(workerCache.instanceId).not.toBe(app.get(CacheService).instanceId);
    expect(worker.get(InventoryService)).not.toBe(app.get(InventoryService));
  });

  it('an inventory change made in the worker is shown by the API at once (its L1 invalidated), product and list', async () => {
    const name = `Worker stock ${uniq()}`;
    const product = await admin.createProduct({ name, priceCents: 1234, stock: 5, categoryId: category.id });
    const productUrl = `/api/v1/products/${product.id}`;
    const listUrl = `/api/v1/products?q=${encodeURIComponent(name)}`;

    // Into the API's L1 (the second read of each is an L1 hit).
    for (let i = 0; i < 2; i++) {
      expect((await getJson<Product>(app, productUrl)).body.stock).toBe(5);
      expect((await getJson<Page>(app, listUrl)).body.items.map((p) => [p.id, p.stock])).toEqual([[product.id, 5]]);
    }
    // The worker reads through the same cache (Redis entry shared with the API, then its own L1).
    expect((await worker.get(ProductReader).findById(product.id))?.stock).toBe(5);

    // Negative control: a write behind the cache's back is not seen by the API, which answers from its L1.
    await setStockBehindTheCache(product.id, 777);
    const [productHits, listHits] = [l1Hits(app, 'products'), l1Hits(app, 'product-lists')];
    expect((await getJson<Product>(app, productUrl)).body.stock).toBe(5);
    expect((await getJson<Page>(app, listUrl)).body.items.map((p) => p.stock)).toEqual([5]);
    expect(l1Hits(app, 'products')).toBe(productHits + 1);
    expect(l1Hits(app, 'product-lists')).toBe(listHits + 1);
    expect((await worker.get(ProductReader).findById(product.id))?.stock).toBe(5);

    // The write through the domain service, in the worker: once it returned, the API shows it.
    const result = await worker.get(InventoryService).adjust([{ productId: product.id, stock: 42 }]);
    expect(result).toEqual({ items: [{ productId: product.id, stock: 42 }] });

    const one = await getJson<Product>(app, productUrl);
    expect([one.status, one.body.stock]).toEqual([200, 42]);
    const list = await getJson<Page>(app, listUrl);
    expect([list.status, list.body.items.map((p) => [p.id, p.stock])]).toEqual([200, [[product.id, 42]]]);
    // …and so do the worker's own reads.
    expect((await worker.get(ProductReader).findById(product.id))?.stock).toBe(42);
  });

  it('a product update made in the worker (ProductWriter) is shown by the API at once, product and list', async () => {
    const tag = uniq();
    const product = await admin.createProduct({ name: `Worker rename ${tag} v1`, priceCents: 500, stock: 3, categoryId: category.id });
    const productUrl = `/api/v1/products/${product.id}`;
    const listUrl = `/api/v1/products?q=${encodeURIComponent(`worker rename ${tag}`)}`;

    for (let i = 0; i < 2; i++) {
      expect((await getJson<Product>(app, productUrl)).body.name).toBe(`Worker rename ${tag} v1`);
      expect((await getJson<Page>(app, listUrl)).body.items.map((p) => p.name)).toEqual([`Worker rename ${tag} v1`]);
    }
    await ds.query('UPDATE catalog.products SET name = $2 WHERE id = $1', [product.id, `Worker rename ${tag} behind`]);
    expect((await getJson<Product>(app, productUrl)).body.name).toBe(`Worker rename ${tag} v1`);
    expect((await getJson<Page>(app, listUrl)).body.items.map((p) => p.name)).toEqual([`Worker rename ${tag} v1`]);

    const updated = await worker.get(ProductWriter).update(product.id, { name: `Worker rename ${tag} v2` });
    expect(updated.name).toBe(`Worker rename ${tag} v2`);

    expect((await getJson<Product>(app, productUrl)).body.name).toBe(`Worker rename ${tag} v2`);
    expect((await getJson<Page>(app, listUrl)).body.items.map((p) => p.name)).toEqual([`Worker rename ${tag} v2`]);
    expect((await worker.get(ProductReader).findById(product.id))?.name).toBe(`Worker rename ${tag} v2`);
  });
});
