import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { bearer, createAdmin, registerUser } from '../support/auth.js';
import { createTestApp } from '../support/test-app.js';
import { DataSource } from 'typeorm';
import { BestsellersService } from '../../libs/catalog/src/services/bestsellers.service.js';
import { ProductListRepository } from '../../libs/catalog/src/repositories/product-list.repository.js';
import { ProductsRepository } from '../../libs/catalog/src/repositories/products.repository.js';
import { normalizeProductQuery } from '../../libs/catalog/src/product-query.js';
import { CATALOG_TEST_ENV, CatalogClient, getJson, uniq, type Category, type Product } from './catalog-fixtures.js';

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

describe('catalog HTTP contract', () => {
  let app: NestFastifyApplication;
  let admin: CatalogClient;
  let customerToken: string;
  let category: Category;

  beforeAll(async () => {
    app = await createTestApp(CATALOG_TEST_ENV);
    admin = new CatalogClient(app, (await createAdmin(app)).accessToken);
    customerToken = (await registerUser(app)).accessToken;
    const tag = uniq();
    category = await admin.createCategory({ name: `Kitchen ${tag}`, slug: `kitchen-${tag}` });
  });
  afterAll(async () => {
    await app.close();
  });

  const expectFieldError = (res: { statusCode: number; json: () => unknown; body: string }, ...fields: string[]): void => {
    expect(res.statusCode).toBe(400);
    const body = res.json() as { statusCode: number; error: string; message: string[] | string; requestId: string };
    expect(body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(typeof body.requestId).toBe('string');
    const messages = ([] as string[]).concat(body.message);
    for (const f of fields) expect(messages.some((m) => m.startsWith(`${f}: `))).toBe(true);
  };

  describe('auth on admin routes', () => {
    const writes = (id: string) => [
      { method: 'POST' as const, url: '/api/v1/products', payload: {} },
      { method: 'PATCH' as const, url: `/api/v1/products/${id}`, payload: {} },
      { method: 'DELETE' as const, url: `/api/v1/products/${id}` },
      { method: 'PATCH' as const, url: '/api/v1/products/inventory', payload: { items: [] } },
      { method: 'POST' as const, url: '/api/v1/categories', payload: {} },
      { method: 'PATCH' as const, url: `/api/v1/categories/${id}`, payload: {} },
      { method: 'DELETE' as const, url: `/api/v1/categories/${id}` },
    ];

    it('answers 401 without a token and 403 for a customer, and changes nothing', async () => {
      for (const req of writes(UNKNOWN_ID)) {
        const anonymous = await app.inject(req);
        expect([req.url, anonymous.statusCode]).toEqual([req.url, 401]);
        const customer = await app.inject({ ...req, headers: bearer(customerToken) });
        expect([req.url, customer.statusCode]).toEqual([req.url, 403]);
        expect(customer.json()).toMatchObject({ statusCode: 403, error: 'Forbidden' });
      }
      const garbage = await app.inject({
        method: 'POST',
        url: '/api/v1/products',
        headers: { authorization: 'Bearer not-a-token' },
        payload: {},
      });
      expect(garbage.statusCode).toBe(401);
    });

    it('keeps reads public', async () => {
      expect((await app.inject({ method: 'GET', url: '/api/v1/products' })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/api/v1/categories' })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/api/v1/products/bestsellers' })).statusCode).toBe(200);
    });
  });

  describe('categories', () => {
    it('creates (201, contract shape), lists, and rejects a taken slug with 409', async () => {
      const tag = uniq();
      const created = await admin.createCategory({ name: `Garden ${tag}`, slug: `garden-${tag}` });
      expect(created).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: `Garden ${tag}`,
        slug: `garden-${tag}`,
        parentId: null,
      });
      const child = await admin.createCategory({ name: `Tools ${tag}`, slug: `tools-${tag}`, parentId: created.id });
      expect(child.parentId).toBe(created.id);

      const list = await getJson<Category[]>(app, '/api/v1/categories');
      expect(list.status).toBe(200);
      expect(list.body).toEqual(expect.arrayContaining([created, child]));
      for (const c of list.body) expect(Object.keys(c).sort()).toEqual(['id', 'name', 'parentId', 'slug']);

      const taken = await app.inject({
        method: 'POST',
        url: '/api/v1/categories',
        headers: bearer(admin.token),
        payload: { name: 'Other', slug: `garden-${tag}` },
      });
      expect(taken.statusCode).toBe(409);
      expect(taken.json()).toMatchObject({ statusCode: 409, error: 'Conflict' });
    });

    it('validates the body, naming every field', async () => {
      const post = (payload: unknown) =>
        app.inject({ method: 'POST', url: '/api/v1/categories', headers: bearer(admin.token), payload: payload as object });
      expectFieldError(await post({ name: '', slug: 'Not A Slug' }), 'name', 'slug');
      expectFieldError(await post({ name: 'X', slug: `x-${uniq()}`, role: 'admin' }), 'role');
      expectFieldError(await post({ name: 'X', slug: `x-${uniq()}`, parentId: 'nope' }), 'parentId');
      expectFieldError(await post({ name: 'X', slug: `x-${uniq()}`, parentId: UNKNOWN_ID }), 'parentId');
    });

    it('updates, refuses cycles, and deletes only when unused (409 while products use it)', async () => {
      const tag = uniq();
      const parent = await admin.createCategory({ name: `P ${tag}`, slug: `p-${tag}` });
      const child = await admin.createCategory({ name: `C ${tag}`, slug: `c-${tag}`, parentId: parent.id });
      const patch = (id: string, payload: object) =>
        app.inject({ method: 'PATCH', url: `/api/v1/categories/${id}`, headers: bearer(admin.token), payload });

      const renamed = await patch(child.id, { name: `Renamed ${tag}` });
      expect(renamed.statusCode).toBe(200);
      expect(renamed.json()).toEqual({ ...child, name: `Renamed ${tag}` });
      expectFieldError(await patch(parent.id, { parentId: child.id }), 'parentId');
      expectFieldError(await patch(parent.id, { parentId: parent.id }), 'parentId');
      expect((await patch(UNKNOWN_ID, { name: 'x' })).statusCode).toBe(404);
      expectFieldError(await patch('not-a-uuid', { name: 'x' }), 'id');
      expect((await patch(child.id, { slug: category.slug })).statusCode).toBe(409);
      expect((await patch(child.id, { parentId: null })).json().parentId).toBeNull();

      const product = await admin.createProduct({ name: 'Used', priceCents: 100, categoryId: child.id });
      const del = (id: string) => app.inject({ method: 'DELETE', url: `/api/v1/categories/${id}`, headers: bearer(admin.token) });
      const conflict = await del(child.id);
      expect(conflict.statusCode).toBe(409);
      expect(conflict.json().message).toContain('product');
      expect((await app.inject({ method: 'DELETE', url: `/api/v1/products/${product.id}`, headers: bearer(admin.token) })).statusCode).toBe(
        204,
      );
      expect((await del(child.id)).statusCode).toBe(204);
      expect((await del(child.id)).statusCode).toBe(404);
      const list = await getJson<Category[]>(app, '/api/v1/categories');
      expect(list.body.find((c) => c.id === child.id)).toBeUndefined();
    });

    it('shows a renamed category at once inside cached products', async () => {
      const tag = uniq();
      const cat = await admin.createCategory({ name: `Before ${tag}`, slug: `before-${tag}` });
      const product = await admin.createProduct({ name: 'Embedded', priceCents: 100, categoryId: cat.id });
      expect((await getJson<Product>(app, `/api/v1/products/${product.id}`)).body.category.name).toBe(`Before ${tag}`);
      await app.inject({
        method: 'PATCH',
        url: `/api/v1/categories/${cat.id}`,
        headers: bearer(admin.token),
        payload: { name: `After ${tag}` },
      });
      expect((await getJson<Product>(app, `/api/v1/products/${product.id}`)).body.category).toEqual({
        id: cat.id,
        name: `After ${tag}`,
        slug: `before-${tag}`,
      });
      const list = await getJson<{ items: Product[] }>(app, `/api/v1/products?category=before-${tag}`);
      expect(list.body.items[0].category.name).toBe(`After ${tag}`);
    });
  });

  describe('products', () => {
    it('creates a product with exactly the contract shape', async () => {
      const sku = `SKU-${uniq()}`;
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/products',
        headers: bearer(admin.token),
        payload: { sku, name: 'Espresso cup', description: 'Double-walled glass', priceCents: 1290, stock: 7, categoryId: category.id },
      });
      expect(res.statusCode).toBe(201);
      const p = res.json<Product>();
      expect(p).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
        sku,
        name: 'Espresso cup',
        description: 'Double-walled glass',
        priceCents: 1290,
        currency: 'EUR',
        stock: 7,
        category: { id: category.id, name: category.name, slug: category.slug },
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      });
      const got = await getJson<Product>(app, `/api/v1/products/${p.id}`);
      expect(got.status).toBe(200);
      expect(got.body).toEqual(p);
      expect(Object.keys(got.body)).toEqual([
        'id',
        'sku',
        'name',
        'description',
        'priceCents',
        'currency',
        'stock',
        'category',
        'createdAt',
        'updatedAt',
      ]);
    });

    it('writes timestamps as Date#toISOString would: UTC, milliseconds truncated (as read by one product and by a list)', async () => {
      const p = await admin.createProduct({ name: `Stamped ${uniq()}`, priceCents: 1, categoryId: category.id });
      const db = app.get(DataSource);
      const created = '2024-02-29 23:59:59.999999+00';
      const updated = '2025-06-01 01:02:03.0045+02';
      await db.query('UPDATE catalog.products SET created_at = $2, updated_at = $3 WHERE id = $1', [p.id, created, updated]);
      const [stored] = await db.query<{ c: Date; u: Date }[]>(
        'SELECT created_at AS c, updated_at AS u FROM catalog.products WHERE id = $1',
        [p.id],
      );
      const expected = { createdAt: stored.c.toISOString(), updatedAt: stored.u.toISOString() };
      expect(expected).toEqual({ createdAt: '2024-02-29T23:59:59.999Z', updatedAt: '2025-05-31T23:02:03.004Z' });
      // On the primary, where the update just committed (the API's reads go through the cache).
      const [one] = await app.get(ProductsRepository).findLive([p.id], db.manager);
      expect({ createdAt: one.createdAt, updatedAt: one.updatedAt }).toEqual(expected);
      const page = await app.get(ProductListRepository).run(db.manager, normalizeProductQuery({ q: p.name, sort: '-createdAt' }));
      expect(page.items.map((i) => [i.id, i.createdAt, i.updatedAt])).toEqual([[p.id, expected.createdAt, expected.updatedAt]]);
    });

    it('rejects a taken sku (409) and an unknown categoryId (400 naming it)', async () => {
      const p = await admin.createProduct({ name: 'Once', priceCents: 1, categoryId: category.id });
      const dup = await app.inject({
        method: 'POST',
        url: '/api/v1/products',
        headers: bearer(admin.token),
        payload: { sku: p.sku, name: 'Twice', priceCents: 1, categoryId: category.id },
      });
      expect(dup.statusCode).toBe(409);
      expect(dup.json().message).toMatch(/sku/);
      const unknownCat = await app.inject({
        method: 'POST',
        url: '/api/v1/products',
        headers: bearer(admin.token),
        payload: { sku: `S-${uniq()}`, name: 'X', priceCents: 1, categoryId: UNKNOWN_ID },
      });
      expectFieldError(unknownCat, 'categoryId');
      // a deleted product frees its sku
      await app.inject({ method: 'DELETE', url: `/api/v1/products/${p.id}`, headers: bearer(admin.token) });
      const again = await app.inject({
        method: 'POST',
        url: '/api/v1/products',
        headers: bearer(admin.token),
        payload: { sku: p.sku, name: 'Again', priceCents: 1, categoryId: category.id },
      });
      expect(again.statusCode).toBe(201);
    });

    it('validates create and update bodies, naming every field', async () => {
      const post = (payload: object) => app.inject({ method: 'POST', url: '/api/v1/products', headers: bearer(admin.token), payload });
      expectFieldError(await post({}), 'sku', 'name', 'priceCents', 'categoryId');
      expectFieldError(
        await post({ sku: 'bad sku!', name: 'x', priceCents: -1, stock: 1.5, categoryId: 'x' }),
        'sku',
        'priceCents',
        'stock',
        'categoryId',
      );
      expectFieldError(await post({ sku: `S-${uniq()}`, name: 'x', priceCents: 12.5, categoryId: category.id }), 'priceCents');
      expectFieldError(await post({ sku: `S-${uniq()}`, name: 'x', priceCents: '100', categoryId: category.id }), 'priceCents');
      expectFieldError(
        await post({ sku: `S-${uniq()}`, name: 'x', priceCents: 100, categoryId: category.id, currency: 'USD' }),
        'currency',
      );
      expectFieldError(
        await post({ sku: `S-${uniq()}`, name: 'nul\u0000name', description: 'd\u0000', priceCents: 1, categoryId: category.id }),
        'name',
        'description',
      );

      const p = await admin.createProduct({ name: 'Valid', priceCents: 100, categoryId: category.id });
      expectFieldError(await admin.patchProduct(p.id, { name: null, priceCents: -5, stock: 'x' }), 'name', 'priceCents', 'stock');
      expectFieldError(await admin.patchProduct(p.id, { id: UNKNOWN_ID }), 'id');
      expectFieldError(await admin.patchProduct(p.id, { categoryId: UNKNOWN_ID }), 'categoryId');
      expect((await getJson<Product>(app, `/api/v1/products/${p.id}`)).body).toEqual(p);
    });

    it('answers 400 for a malformed id and 404 for an unknown one', async () => {
      const bad = await app.inject({ method: 'GET', url: '/api/v1/products/not-a-uuid' });
      expectFieldError(bad, 'id');
      const unknown = await app.inject({ method: 'GET', url: `/api/v1/products/${UNKNOWN_ID}` });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json()).toMatchObject({ statusCode: 404, error: 'Not Found', requestId: unknown.headers['x-request-id'] });
      expect((await admin.patchProduct(UNKNOWN_ID, { name: 'x' })).statusCode).toBe(404);
      expect((await app.inject({ method: 'DELETE', url: `/api/v1/products/${UNKNOWN_ID}`, headers: bearer(admin.token) })).statusCode).toBe(
        404,
      );
    });

    it('updates partially (200) and the next read shows it', async () => {
      const p = await admin.createProduct({ name: 'Before', description: 'd', priceCents: 100, stock: 1, categoryId: category.id });
      await getJson(app, `/api/v1/products/${p.id}`); // cached
      const res = await admin.patchProduct(p.id, { name: 'After', priceCents: 250 });
      expect(res.statusCode).toBe(200);
      const updated = res.json<Product>();
      expect(updated).toMatchObject({ ...p, name: 'After', priceCents: 250, updatedAt: expect.any(String) });
      expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(Date.parse(p.updatedAt));
      expect((await getJson<Product>(app, `/api/v1/products/${p.id}`)).body).toEqual(updated);
    });

    it('deletes (204): gone from reads and lists, 404 afterwards', async () => {
      const tag = uniq();
      const cat = await admin.createCategory({ name: `Del ${tag}`, slug: `del-${tag}` });
      const p = await admin.createProduct({ name: 'Doomed', priceCents: 100, categoryId: cat.id });
      expect((await getJson<{ total: number }>(app, `/api/v1/products?category=del-${tag}`)).body.total).toBe(1);
      const del = await app.inject({ method: 'DELETE', url: `/api/v1/products/${p.id}`, headers: bearer(admin.token) });
      expect(del.statusCode).toBe(204);
      expect(del.body).toBe('');
      expect((await getJson(app, `/api/v1/products/${p.id}`)).status).toBe(404);
      expect((await getJson<{ total: number; items: unknown[] }>(app, `/api/v1/products?category=del-${tag}`)).body).toMatchObject({
        total: 0,
        items: [],
      });
      expect((await admin.patchProduct(p.id, { name: 'zombie' })).statusCode).toBe(404);
    });
  });

  describe('list parameters', () => {
    it.each([
      ['page=0', 'page'],
      ['page=abc', 'page'],
      ['page=1.5', 'page'],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=', 'limit'],
      ['sort=price,name', 'sort'],
      ['sort=stock', 'sort'],
      ['minPrice=-1', 'minPrice'],
      ['maxPrice=abc', 'maxPrice'],
      ['minPrice=500&maxPrice=100', 'maxPrice'],
      ['inStock=yes', 'inStock'],
      ['category=Not%20A%20Slug', 'category'],
      [`q=${'x'.repeat(101)}`, 'q'],
      ['color=red', 'color'],
      ['page=2&page=3', 'page'],
      ['q=a%00b', 'q'],
    ])('%s → 400 naming %s', async (query, field) => {
      expectFieldError(await app.inject({ method: 'GET', url: `/api/v1/products?${query}` }), field);
    });

    it('answers pagination defaults and odd but valid searches without errors', async () => {
      const res = await getJson<{ items: unknown[]; total: number; page: number; limit: number }>(app, '/api/v1/products');
      expect(res.body).toMatchObject({ page: 1, limit: 20, total: expect.any(Number) });
      for (const q of ["%_\\'", 'a%b', "'; DROP TABLE catalog.products; --", 'ünïcødé 😀']) {
        const r = await app.inject({ method: 'GET', url: `/api/v1/products?q=${encodeURIComponent(q)}` });
        expect(r.statusCode).toBe(200);
        expect(r.json().total).toBe(0);
      }
    });

    it('bestsellers validates limit', async () => {
      expectFieldError(await app.inject({ method: 'GET', url: '/api/v1/products/bestsellers?limit=0' }), 'limit');
      expectFieldError(await app.inject({ method: 'GET', url: '/api/v1/products/bestsellers?limit=101' }), 'limit');
      expectFieldError(await app.inject({ method: 'GET', url: '/api/v1/products/bestsellers?top=1' }), 'top');
    });
  });

  describe('bestsellers', () => {
    it('orders live products by units sold, counts a sale once, skips deleted ones', async () => {
      const a = await admin.createProduct({ name: 'Best A', priceCents: 100, categoryId: category.id });
      const b = await admin.createProduct({ name: 'Best B', priceCents: 100, categoryId: category.id });
      const c = await admin.createProduct({ name: 'Best C', priceCents: 100, categoryId: category.id });
      const svc = app.get(BestsellersService);
      // Large counts so this run's other suites (if they sell) cannot outrank these.
      expect(
        await svc.recordSale(
          [
            { productId: a.id, quantity: 1_000_000 },
            { productId: b.id, quantity: 3_000_000 },
          ],
          `order-${uniq()}`,
        ),
      ).toBe(true);
      const sale = `order-${uniq()}`;
      expect(await svc.recordSale([{ productId: c.id, quantity: 2_000_000 }], sale)).toBe(true);
      expect(await svc.recordSale([{ productId: c.id, quantity: 2_000_000 }], sale)).toBe(false); // redelivered
      const res = await getJson<(Product & { unitsSold: number })[]>(app, '/api/v1/products/bestsellers?limit=3');
      expect(res.status).toBe(200);
      expect(res.body.map((p) => [p.id, p.unitsSold])).toEqual([
        [b.id, 3_000_000],
        [c.id, 2_000_000],
        [a.id, 1_000_000],
      ]);
      expect(res.body[0]).toMatchObject({ ...b, unitsSold: 3_000_000 });
      await app.inject({ method: 'DELETE', url: `/api/v1/products/${b.id}`, headers: bearer(admin.token) });
      const after = await getJson<Product[]>(app, '/api/v1/products/bestsellers?limit=2');
      expect(after.body.map((p) => p.id)).toEqual([c.id, a.id]);
    });
  });

  describe('ETag and If-None-Match', () => {
    it.each(['/api/v1/products', '/api/v1/categories', '/api/v1/products/bestsellers', 'PRODUCT'])(
      '%s: ETag, 304 when unchanged, new ETag after a write',
      async (path) => {
        const p = await admin.createProduct({ name: 'Tagged', priceCents: 100, categoryId: category.id });
        // Far above anything else sold in the run, so p is among the bestsellers and its rename below
        // changes that answer too (with 1 unit it could rank below the default limit of 10).
        await app.get(BestsellersService).recordSale([{ productId: p.id, quantity: 10_000_000 }]);
        const url =
          path === 'PRODUCT'
            ? `/api/v1/products/${p.id}`
            : path === '/api/v1/products'
              ? `/api/v1/products?category=${category.slug}`
              : path;
        // Categories and bestsellers are shared with suites running in parallel: a 200 instead of a
        // 304 is only acceptable with a different ETag (the resource really changed); then retry.
        let etag = '';
        let notModified = false;
        for (let attempt = 0; attempt < 10; attempt++) {
          const first = await app.inject({ method: 'GET', url });
          expect(first.statusCode).toBe(200);
          etag = first.headers.etag as string;
          expect(etag).toMatch(/^(W\/)?"[^"]+"$/);
          const again = await app.inject({ method: 'GET', url, headers: { 'if-none-match': etag } });
          if (again.statusCode === 200) {
            expect(again.headers.etag).not.toBe(etag);
            continue;
          }
          expect(again.statusCode).toBe(304);
          expect(again.body).toBe('');
          expect(again.headers.etag).toBe(etag);
          const list = await app.inject({ method: 'GET', url, headers: { 'if-none-match': `"other", W/${etag}` } });
          expect(list.statusCode === 304 || list.headers.etag !== etag).toBe(true);
          const other = await app.inject({ method: 'GET', url, headers: { 'if-none-match': '"other"' } });
          expect(other.statusCode).toBe(200);
          notModified = true;
          break;
        }
        expect(notModified).toBe(true);

        if (path === '/api/v1/categories') {
          const tag = uniq();
          await admin.createCategory({ name: `New ${tag}`, slug: `new-${tag}` });
        } else {
          await admin.patchProduct(p.id, { name: `Renamed ${uniq()}` });
        }
        const changed = await app.inject({ method: 'GET', url, headers: { 'if-none-match': etag } });
        expect(changed.statusCode).toBe(200);
        expect(changed.headers.etag).not.toBe(etag);
      },
    );
  });

  it('documents every catalog route in the OpenAPI document', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs-json' })).json();
    for (const path of [
      '/api/v1/products',
      '/api/v1/products/{id}',
      '/api/v1/products/inventory',
      '/api/v1/products/bestsellers',
      '/api/v1/categories',
      '/api/v1/categories/{id}',
    ]) {
      expect(doc.paths[path]).toBeDefined();
    }
    expect(doc.paths['/api/v1/products/{id}'].get.responses['200']).toBeDefined();
    expect(doc.components.schemas.ProductDto.required).toEqual(expect.arrayContaining(['id', 'sku', 'priceCents', 'category']));
  });
});
