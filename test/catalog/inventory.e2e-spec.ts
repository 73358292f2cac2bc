import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createAdmin } from '../support/auth.js';
import { createTestApp } from '../support/test-app.js';
import { InventoryService, UnknownProductsError } from '@app/catalog';
import { InsufficientStockError } from '@app/common';
import { Transactions } from '@app/database';
import { CATALOG_TEST_ENV, CatalogClient, getJson, uniq, type Category, type Product } from './catalog-fixtures.js';

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

describe('inventory', () => {
  let app: NestFastifyApplication;
  let admin: CatalogClient;
  let category: Category;

  beforeAll(async () => {
    app = await createTestApp(CATALOG_TEST_ENV);
    admin = new CatalogClient(app, (await createAdmin(app)).accessToken);
    const tag = uniq();
    category = await admin.createCategory({ name: `Inv ${tag}`, slug: `inv-${tag}` });
  });
  afterAll(async () => {
    await app.close();
  });

  const product = (stock: number): Promise<Product> =>
    admin.createProduct({ name: `Stocked ${uniq()}`, priceCents: 500, stock, categoryId: category.id });
  const stockOf = async (id: string): Promise<number> => (await getJson<Product>(app, `/api/v1/products/${id}`)).body.stock;

  it('sets and changes stock in one call, answering the new stock of each in request order', async () => {
    const [a, b, c] = [await product(10), await product(5), await product(0)];
    await Promise.all([a, b, c].map((p) => stockOf(p.id))); // cached before the write
    const res = await admin.inventory([
      { productId: c.id, stock: 20 },
      { productId: a.id, delta: -3 },
      { productId: b.id.toUpperCase(), delta: 7 },
    ]);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      items: [
        { productId: c.id, stock: 20 },
        { productId: a.id, stock: 7 },
        { productId: b.id, stock: 12 },
      ],
    });
    expect([await stockOf(a.id), await stockOf(b.id), await stockOf(c.id)]).toEqual([7, 12, 20]);
  });

  it('is all or nothing: one stock below 0 → 409 naming it, nothing changes', async () => {
    const [a, b] = [await product(10), await product(2)];
    const res = await admin.inventory([
      { productId: a.id, delta: -5 },
      { productId: b.id, delta: -3 },
    ]);
    expect(res.statusCode).toBe(409);
    expect(res.json().message).toContain(b.id);
    expect(res.json().message).not.toContain(a.id);
    expect([await stockOf(a.id), await stockOf(b.id)]).toEqual([10, 2]);
  });

  it('is all or nothing: one unknown or deleted id → 404 naming it, nothing changes', async () => {
    const [a, gone] = [await product(10), await product(10)];
    await app.inject({ method: 'DELETE', url: `/api/v1/products/${gone.id}`, headers: { authorization: `Bearer ${admin.token}` } });
    for (const missing of [UNKNOWN_ID, gone.id]) {
      const res = await admin.inventory([
        { productId: a.id, stock: 99 },
        { productId: missing, delta: 1 },
      ]);
      expect(res.statusCode).toBe(404);
      expect(res.json().message).toContain(missing);
      expect(await stockOf(a.id)).toBe(10);
    }
  });

  it('validates items, naming the field path', async () => {
    const p = await product(1);
    const cases: [unknown, string][] = [
      [{}, 'items'],
      [{ items: [] }, 'items'],
      [{ items: [{ productId: p.id }] }, 'items.0.stock'],
      [{ items: [{ productId: p.id, stock: 1, delta: 1 }] }, 'items.0.delta'],
      [{ items: [{ productId: 'x', stock: 1 }] }, 'items.0.productId'],
      [{ items: [{ productId: p.id, stock: -1 }] }, 'items.0.stock'],
      [{ items: [{ productId: p.id, stock: 1.5 }] }, 'items.0.stock'],
      [{ items: [{ productId: p.id, delta: 'x' }] }, 'items.0.delta'],
      [{ items: [{ productId: p.id, stock: 1, extra: true }] }, 'items.0.extra'],
      [
        {
          items: [
            { productId: p.id, stock: 1 },
            { productId: p.id, delta: 1 },
          ],
        },
        'items.1.productId',
      ],
      [{ items: 'nope' }, 'items'],
    ];
    for (const [payload, field] of cases) {
      const res = await app.inject({
        method: 'PATCH',
        url: '/api/v1/products/inventory',
        headers: { authorization: `Bearer ${admin.token}` },
        payload: payload as object,
      });
      expect([JSON.stringify(payload), res.statusCode]).toEqual([JSON.stringify(payload), 400]);
      const messages = ([] as string[]).concat(res.json().message);
      expect([field, messages.some((m) => m.startsWith(`${field}: `))]).toEqual([field, true]);
    }
    expect(await stockOf(p.id)).toBe(1);
  });

  it('100 concurrent delta -1 on stock 50: stock 0, exactly 50 rejected with 409', async () => {
    const p = await product(50);
    const results = await Promise.all(Array.from({ length: 100 }, () => admin.inventory([{ productId: p.id, delta: -1 }])));
    const codes = results.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 200)).toHaveLength(50);
    expect(codes.filter((c) => c === 409)).toHaveLength(50);
    const remaining = results.filter((r) => r.statusCode === 200).map((r) => r.json().items[0].stock as number);
    expect(new Set(remaining).size).toBe(50); // every success saw its own decrement
    expect(Math.min(...remaining)).toBe(0);
    expect(await stockOf(p.id)).toBe(0);
  });

  it('concurrent overlapping batches in opposite orders never deadlock and never overdraw', async () => {
    const ps = [await product(1000), await product(1000), await product(1000)];
    const batches = Array.from({ length: 40 }, (_, i) => {
      const order = i % 2 === 0 ? ps : [...ps].reverse();
      return admin.inventory(order.map((p) => ({ productId: p.id, delta: -5 })));
    });
    const results = await Promise.all(batches);
    expect(results.every((r) => r.statusCode === 200)).toBe(true);
    for (const p of ps) expect(await stockOf(p.id)).toBe(800);
  });

  it('takeStock for the orders module: atomic inside the caller transaction, rolls back on shortage', async () => {
    const inventory = app.get(InventoryService);
    const transactions = app.get(Transactions);
    const [a, b] = [await product(5), await product(1)];
    const taken = await transactions.run((tx) =>
      inventory.takeStock(tx, [
        { productId: b.id, quantity: 1 },
        { productId: a.id, quantity: 2 },
      ]),
    );
    expect(taken.map((t) => [t.productId, t.quantity, t.stockLeft, t.priceCents, t.sku])).toEqual([
      [b.id, 1, 0, 500, b.sku],
      [a.id, 2, 3, 500, a.sku],
    ]);
    expect([await stockOf(a.id), await stockOf(b.id)]).toEqual([3, 0]);

    await expect(
      transactions.run((tx) =>
        inventory.takeStock(tx, [
          { productId: a.id, quantity: 1 },
          { productId: b.id, quantity: 1 },
        ]),
      ),
    ).rejects.toBeInstanceOf(InsufficientStockError);
    await expect(transactions.run((tx) => inventory.takeStock(tx, [{ productId: UNKNOWN_ID, quantity: 1 }]))).rejects.toBeInstanceOf(
      UnknownProductsError,
    );
    expect([await stockOf(a.id), await stockOf(b.id)]).toEqual([3, 0]);

    await transactions.run((tx) => inventory.releaseStock(tx, [{ productId: b.id, quantity: 4 }]));
    expect(await stockOf(b.id)).toBe(4);
  });

  it('answers 409 (never 500) when a delta would overflow the stock column', async () => {
    const p = await product(1_000_000_000);
    expect((await admin.inventory([{ productId: p.id, delta: 1_000_000_000 }])).statusCode).toBe(200);
    const other = await product(1);
    const res = await admin.inventory([
      { productId: other.id, delta: 5 },
      { productId: p.id, delta: 1_000_000_000 },
    ]);
    expect(res.statusCode).toBe(409);
    expect(res.json().message).toMatch(/^stock: /);
    expect([await stockOf(p.id), await stockOf(other.id)]).toEqual([2_000_000_000, 1]);
  });
});
