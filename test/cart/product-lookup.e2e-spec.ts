import { jest } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ProductLookup } from '../../libs/catalog/src/services/product-lookup.service.js';
import { bearer } from '../support/auth.js';
import { ProductFactory } from '../support/catalog.js';
import { createTestApp } from '../support/test-app.js';
import { CART_TEST_ENV } from './cart-fixtures.js';

/** The cart's batched product read: cache hits in one MGET, every miss in ONE primary query, then cached. */
describe('ProductLookup.findMany', () => {
  let app: NestFastifyApplication;
  let products: ProductFactory;

  beforeAll(async () => {
    app = await createTestApp(CART_TEST_ENV);
    products = await ProductFactory.create(app);
  });
  afterAll(async () => {
    await app.close();
  });

  it('answers live products from cache and primary, skips unknown, deleted and malformed ids, with one query for the misses', async () => {
    const [cached, cold1, cold2, deleted] = await products.products(4, { priceCents: 777, stock: 9 });
    await app.inject({ method: 'GET', url: `/api/v1/products/${cached.id}` }); // warm its cache entry
    expect(
      (await app.inject({ method: 'DELETE', url: `/api/v1/products/${deleted.id}`, headers: bearer(products.client.token) })).statusCode,
    ).toBe(204);
    // the create/delete responses may have warmed entries: drop the cold ones from the cache
    const lookup = app.get(ProductLookup);
    const cache = (lookup as unknown as { cache: { products: { delete(k: string): Promise<boolean> } } }).cache;
    await cache.products.delete(cold1.id);
    await cache.products.delete(cold2.id);

    const dataSource = app.get<DataSource>(getDataSourceToken());
    const spy = jest.spyOn(dataSource, 'query');
    try {
      const found = await lookup.findMany([
        cached.id,
        cold1.id,
        cold2.id,
        deleted.id,
        '00000000-0000-4000-8000-000000000000',
        'not-a-uuid',
        cached.id,
      ]);
      expect([...found.keys()].sort()).toEqual([cached.id, cold1.id, cold2.id].sort());
      expect(found.get(cold1.id)).toEqual({ id: cold1.id, name: cold1.name, priceCents: 777, currency: 'EUR', stock: 9 });
      expect(found.get(cached.id)).toEqual({ id: cached.id, name: cached.name, priceCents: 777, currency: 'EUR', stock: 9 });
      const productQueries = spy.mock.calls.filter(([sql]) => /catalog\.products/.test(String(sql)));
      expect(productQueries).toHaveLength(1);
    } finally {
      spy.mockRestore();
    }
    // The misses were cached (unknown and deleted ids as short negative entries): no query now.
    const again = jest.spyOn(dataSource, 'query');
    try {
      const found = await lookup.findMany([cold1.id, cold2.id, deleted.id, '00000000-0000-4000-8000-000000000000']);
      expect([...found.keys()].sort()).toEqual([cold1.id, cold2.id].sort());
      expect(again.mock.calls.filter(([sql]) => /catalog\.products/.test(String(sql)))).toHaveLength(0);
    } finally {
      again.mockRestore();
    }
    // A catalog write drops the cached copy: the next lookup reads the new price.
    expect(
      (
        await app.inject({
          method: 'PATCH',
          url: `/api/v1/products/${cold1.id}`,
          headers: bearer(products.client.token),
          payload: { priceCents: 999 },
        })
      ).statusCode,
    ).toBe(200);
    expect((await lookup.findMany([cold1.id])).get(cold1.id)?.priceCents).toBe(999);
    expect((await lookup.findMany([])).size).toBe(0);
  });
});
