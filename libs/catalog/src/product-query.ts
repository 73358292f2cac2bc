import { DEFAULT_SORT, type ProductSort } from './catalog.limits.js';
import type { ProductQuery } from './catalog.types.js';

/** A list query with every default applied: equal queries have equal cache keys. */
export interface NormalizedProductQuery {
  q: string | null;
  category: string | null;
  minPrice: number | null;
  maxPrice: number | null;
  inStock: boolean;
  sort: ProductSort;
  page: number;
  limit: number;
}

export function normalizeProductQuery(query: ProductQuery): NormalizedProductQuery {
  const q = query.q?.trim().replace(/\s+/g, ' ').toLowerCase() || null;
  return {
    q,
    category: query.category ?? null,
    minPrice: query.minPrice ?? null,
    maxPrice: query.maxPrice ?? null,
    inStock: query.inStock === 'true',
    sort: query.sort ?? DEFAULT_SORT,
    page: query.page ?? 1,
    limit: query.limit ?? 20,
  };
}

/** Cache key of a normalized query: fixed (sorted) field order, URL-encoded values. */
export function productQueryKey(n: NormalizedProductQuery): string {
  const fields: [string, string | number | boolean | null][] = [
    ['category', n.category],
    ['inStock', n.inStock],
    ['limit', n.limit],
    ['maxPrice', n.maxPrice],
    ['minPrice', n.minPrice],
    ['page', n.page],
    ['q', n.q],
    ['sort', n.sort],
  ];
  return fields.map(([k, v]) => `${k}=${v === null ? '' : encodeURIComponent(String(v))}`).join('&');
}
