import { normalizeLsn } from '@app/database';
import { normalizeProductQuery, productQueryKey } from '../product-query.js';
import { ProductListRepository } from './product-list.repository.js';

describe('product list query', () => {
  it('normalizes equivalent queries to the same cache key (defaults applied, sorted fields)', () => {
    const a = normalizeProductQuery({ q: '  Blue   MUG ', sort: 'price' });
    const b = normalizeProductQuery({ sort: 'price', q: 'blue mug', page: 1, limit: 20, inStock: 'false' });
    expect(a).toEqual({ q: 'blue mug', category: null, minPrice: null, maxPrice: null, inStock: false, sort: 'price', page: 1, limit: 20 });
    expect(productQueryKey(a)).toBe(productQueryKey(b));
    expect(productQueryKey(a)).toBe('category=&inStock=false&limit=20&maxPrice=&minPrice=&page=1&q=blue%20mug&sort=price');
    expect(productQueryKey(normalizeProductQuery({ q: '   ' }))).toBe(productQueryKey(normalizeProductQuery({})));
    expect(productQueryKey(normalizeProductQuery({ q: 'a&page=2' }))).not.toBe(productQueryKey(normalizeProductQuery({ q: 'a', page: 2 })));
  });

  it('builds the key every field URL-encoded in sorted order, for any query', () => {
    const byField = (n: ReturnType<typeof normalizeProductQuery>): string =>
      Object.entries(n)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => `${k}=${v === null ? '' : encodeURIComponent(String(v))}`)
        .join('&');
    const words = ['', 'mug', 'a&b=c', '100%', 'ünï cödé', '#?/+', ' spaced  out '];
    for (let i = 0; i < 300; i++) {
      const pick = <T>(xs: readonly T[]): T => xs[(i * 7 + xs.length * 3 + i * i) % xs.length];
      const n = normalizeProductQuery({
        q: pick(words) || undefined,
        category: i % 3 ? pick(['toys', 'home-&-garden', 'café']) : undefined,
        minPrice: i % 4 ? (i * 37) % 5000 : undefined,
        maxPrice: i % 5 ? (i * 91) % 90000 : undefined,
        inStock: i % 2 ? 'true' : undefined,
        sort: pick(['price', '-price', 'name', '-createdAt'] as const),
        page: (i % 9) + 1,
        limit: (i % 5) * 10 + 1,
      });
      expect(productQueryKey(n)).toBe(byField(n));
    }
  });

  it('binds every value as a parameter and escapes LIKE metacharacters', () => {
    const { sql, params } = new ProductListRepository().build(
      normalizeProductQuery({
        q: "100% o'k_\\",
        category: 'toys',
        minPrice: 5,
        maxPrice: 9,
        inStock: 'true',
        sort: '-name',
        page: 3,
        limit: 10,
      }),
    );
    expect(params).toEqual(['toys', 5, 9, '%100\\%%', "%o'k\\_\\\\%", 10, 20]);
    expect(sql).not.toMatch(/toys|100|o'k/);
    expect(sql).toContain('p.stock > 0');
    expect(sql).toContain('f.name DESC, f.id DESC');
  });

  it('orders by the sort column then id, in the same direction', () => {
    const order = (sort: string) =>
      /ORDER BY (f\.\w+ \w+, f\.id \w+) LIMIT/.exec(
        new ProductListRepository().build(normalizeProductQuery({ sort: sort as never })).sql,
      )![1];
    expect(order('price')).toBe('f.price_cents ASC, f.id ASC');
    expect(order('-createdAt')).toBe('f.created_at DESC, f.id DESC');
    expect(order('name')).toBe('f.name ASC, f.id ASC');
  });

  it('normalizes LSNs to fixed width so string order is LSN order', () => {
    expect(normalizeLsn('0/3A4F2B8')).toBe('00000000/03A4F2B8');
    expect(normalizeLsn('1/0') > normalizeLsn('0/FFFFFFFF')).toBe(true);
    expect(normalizeLsn('a/b')).toBe('0000000A/0000000B');
  });
});
