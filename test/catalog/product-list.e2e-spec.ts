import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createAdmin } from '../support/auth.js';
import { createTestApp } from '../support/test-app.js';
import { CATALOG_TEST_ENV, CatalogClient, getJson, uniq, type Category, type Product } from './catalog-fixtures.js';

type Page = { items: Product[]; total: number; page: number; limit: number };

/**
 * Filters, sorts and pagination against a known data set: two categories of this suite only
 * (unique slugs), products with distinct and tied prices, some out of stock, searchable words.
 * Every expectation is computed in JS from the data set and compared with the API.
 */
describe('product list: filters, sorts, pagination', () => {
  let app: NestFastifyApplication;
  let admin: CatalogClient;
  let tools: Category;
  let toys: Category;
  let all: Product[];
  const tag = uniq();

  const spec = [
    // name, description, price, stock, category
    ['Alpha hammer', 'Steel claw hammer', 1500, 5, 'tools'],
    ['Bravo saw', 'Japanese pull saw, fine teeth', 2500, 0, 'tools'],
    ['Charlie drill', 'Cordless drill with two batteries', 8900, 3, 'tools'],
    ['Delta level', 'Aluminium spirit level', 1500, 10, 'tools'],
    ['Echo wrench', 'Adjustable wrench, 100% chrome vanadium', 1200, 0, 'tools'],
    ['Foxtrot kite', 'Diamond kite with steel line', 1500, 7, 'toys'],
    ['Golf puzzle', 'Wooden puzzle, 100 pieces', 900, 2, 'toys'],
    ['Hotel robot', 'Remote robot with a drill arm', 4900, 0, 'toys'],
    ['India yoyo', 'Classic wooden yoyo', 300, 50, 'toys'],
    ['Juliet blocks', 'Building blocks_set of 50', 2500, 1, 'toys'],
  ] as const;

  beforeAll(async () => {
    app = await createTestApp(CATALOG_TEST_ENV);
    admin = new CatalogClient(app, (await createAdmin(app)).accessToken);
    tools = await admin.createCategory({ name: `Tools ${tag}`, slug: `tools-${tag}` });
    toys = await admin.createCategory({ name: `Toys ${tag}`, slug: `toys-${tag}` });
    all = [];
    for (const [name, description, priceCents, stock, cat] of spec) {
      // created one by one: distinct createdAt (and the id tiebreaker for equal ones)
      all.push(
        await admin.createProduct({
          name: `${name} ${tag}`,
          description,
          priceCents,
          stock,
          categoryId: (cat === 'tools' ? tools : toys).id,
        }),
      );
    }
  });
  afterAll(async () => {
    await app.close();
  });

  const mine = (extra = ''): string => `/api/v1/products?q=${tag}${extra}`;
  const cmp = (a: string | number, b: string | number): number => (a < b ? -1 : a > b ? 1 : 0);
  const sorters: Record<string, (a: Product, b: Product) => number> = {
    name: (a, b) => cmp(a.name, b.name) || cmp(a.id, b.id),
    price: (a, b) => cmp(a.priceCents, b.priceCents) || cmp(a.id, b.id),
    createdAt: (a, b) => cmp(a.createdAt, b.createdAt) || cmp(a.id, b.id),
  };
  const sorted = (items: Product[], sort: string): Product[] => {
    const desc = sort.startsWith('-');
    const s = sorters[desc ? sort.slice(1) : sort];
    return [...items].sort((a, b) => (desc ? -s(a, b) : s(a, b)));
  };
  const ids = (items: Product[]): string[] => items.map((p) => p.id);

  it('returns the data set with the contract page shape (default sort -createdAt)', async () => {
    const res = await getJson<Page>(app, mine());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ total: 10, page: 1, limit: 20 });
    expect(ids(res.body.items)).toEqual(ids(sorted(all, '-createdAt')));
    expect(res.body.items.find((p) => p.id === all[0].id)).toEqual(all[0]);
  });

  it.each(['name', '-name', 'price', '-price', 'createdAt', '-createdAt'])('sort=%s (ties broken by id)', async (sort) => {
    const res = await getJson<Page>(app, mine(`&sort=${sort}`));
    expect(ids(res.body.items)).toEqual(ids(sorted(all, sort)));
  });

  it('filters by category slug, price range, stock and text, alone and combined', async () => {
    const cases: [string, (p: Product) => boolean][] = [
      [`&category=tools-${tag}`, (p) => p.category.id === tools.id],
      [`&category=toys-${tag}`, (p) => p.category.id === toys.id],
      [`&category=nope-${tag}`, () => false],
      ['&minPrice=1500', (p) => p.priceCents >= 1500],
      ['&maxPrice=1500', (p) => p.priceCents <= 1500],
      ['&minPrice=1500&maxPrice=2500', (p) => p.priceCents >= 1500 && p.priceCents <= 2500],
      ['&minPrice=1500&maxPrice=1500', (p) => p.priceCents === 1500],
      ['&inStock=true', (p) => p.stock > 0],
      ['&inStock=false', () => true],
      ['%20drill', (p) => /drill/i.test(p.name + ' ' + p.description)],
      ['%20DRILL%20cordless', (p) => /drill/i.test(p.name + ' ' + p.description) && /cordless/i.test(p.name + ' ' + p.description)],
      ['%20steel', (p) => /steel/i.test(p.name + ' ' + p.description)],
      ['%20100%25', (p) => (p.name + ' ' + p.description).includes('100%')],
      ['%20blocks_set', (p) => (p.name + ' ' + p.description).includes('blocks_set')],
      ['%20blocks%25set', () => false],
      [
        `&category=tools-${tag}&inStock=true&minPrice=1000&maxPrice=5000`,
        (p) => p.category.id === tools.id && p.stock > 0 && p.priceCents >= 1000 && p.priceCents <= 5000,
      ],
      [`&category=toys-${tag}&inStock=true%20&sort=price`.replace('%20', ''), (p) => p.category.id === toys.id && p.stock > 0],
      ['%20drill&inStock=true', (p) => /drill/i.test(p.name + ' ' + p.description) && p.stock > 0],
    ];
    for (const [extra, keep] of cases) {
      const sort = extra.includes('sort=price') ? 'price' : '-createdAt';
      const res = await getJson<Page>(app, mine(extra));
      expect([extra, res.status]).toEqual([extra, 200]);
      const expected = sorted(all.filter(keep), sort);
      expect([extra, res.body.total, ids(res.body.items)]).toEqual([extra, expected.length, ids(expected)]);
    }
  });

  it('paginates: pages are disjoint, ordered, complete; past the end is empty with the total', async () => {
    for (const sort of ['price', '-name', 'createdAt']) {
      const seen: string[] = [];
      for (let page = 1; page <= 4; page++) {
        const res = await getJson<Page>(app, mine(`&sort=${sort}&limit=3&page=${page}`));
        expect(res.body).toMatchObject({ total: 10, page, limit: 3 });
        expect(res.body.items.length).toBe(page < 4 ? 3 : 1);
        seen.push(...ids(res.body.items));
      }
      expect(seen).toEqual(ids(sorted(all, sort)));
      const past = await getJson<Page>(app, mine(`&sort=${sort}&limit=3&page=5`));
      expect(past.body).toEqual({ items: [], total: 10, page: 5, limit: 3 });
    }
    const filteredPage = await getJson<Page>(app, mine(`&inStock=true&sort=-price&limit=2&page=2`));
    const expected = sorted(
      all.filter((p) => p.stock > 0),
      '-price',
    );
    expect(filteredPage.body.total).toBe(expected.length);
    expect(ids(filteredPage.body.items)).toEqual(ids(expected.slice(2, 4)));
  });

  it('normalizes equivalent queries to one cache entry (same ETag, one load)', async () => {
    const a = await app.inject({ method: 'GET', url: `/api/v1/products?q=${tag}&sort=price&page=1&limit=20` });
    const b = await app.inject({ method: 'GET', url: `/api/v1/products?limit=20&sort=price&q=%20${tag.toUpperCase()}%20` });
    expect(a.statusCode).toBe(200);
    expect(b.headers.etag).toBe(a.headers.etag);
  });

  it('reflects stock and price changes in filtered lists at once', async () => {
    const target = all.find((p) => p.stock === 0 && p.category.id === tools.id)!;
    const before = await getJson<Page>(app, mine('&inStock=true'));
    expect(ids(before.body.items)).not.toContain(target.id);
    expect((await admin.inventory([{ productId: target.id, stock: 4 }])).statusCode).toBe(200);
    const after = await getJson<Page>(app, mine('&inStock=true'));
    expect(ids(after.body.items)).toContain(target.id);
    expect((await admin.inventory([{ productId: target.id, stock: 0 }])).statusCode).toBe(200);
    expect(ids((await getJson<Page>(app, mine('&inStock=true'))).body.items)).not.toContain(target.id);
  });
});
