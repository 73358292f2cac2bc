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

const text = (v: string | null): string => (v === null ? '' : encodeURIComponent(v));
const num = (v: number | null): string => (v === null ? '' : String(v));

/**
 * Cache key of a normalized query: fixed (sorted) field order, URL-encoded values. One template:
 * it is built for every list request, cached or not, and numbers and booleans need no encoding.
 */
export function productQueryKey(n: NormalizedProductQuery): string {
  return `category=${text(n.category)}&inStock=${n.inStock}&limit=${n.limit}&maxPrice=${num(n.maxPrice)}&minPrice=${num(n.minPrice)}&page=${n.page}&q=${text(n.q)}&sort=${text(n.sort)}`;
}
