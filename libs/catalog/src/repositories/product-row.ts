import type { Product } from '../catalog.types.js';

/** [source expression (p = products, c = categories), output name], in ProductRow order. */
const COLUMNS: readonly (readonly [string, string])[] = [
  ['p.id', 'id'],
  ['p.sku', 'sku'],
  ['p.name', 'name'],
  ['p.description', 'description'],
  ['p.price_cents', 'price_cents'],
  ['p.currency', 'currency'],
  ['p.stock', 'stock'],
  ['p.created_at', 'created_at'],
  ['p.updated_at', 'updated_at'],
  ['c.id', 'category_id'],
  ['c.name', 'category_name'],
  ['c.slug', 'category_slug'],
];
const TIMESTAMPS = new Set(['created_at', 'updated_at']);

/**
 * A timestamptz as the contract writes it (`Date#toISOString`: UTC, milliseconds, `Z`), formatted
 * by Postgres: to_char's MS truncates the microseconds as a JS Date does. The driver would
 * otherwise parse each one into a Date (a regular expression and a few objects) only for
 * toISOString to turn it back into text: on a 20-product list page, a tenth of what the read
 * allocates.
 */
const isoUtc = (expr: string): string => `to_char(${expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** The product columns with their stored types, named as in ProductRow: for a subquery that filters or sorts on them. */
export const PRODUCT_SOURCE_COLUMNS = COLUMNS.map(([expr, name]) => (expr.endsWith(`.${name}`) ? expr : `${expr} AS ${name}`)).join(', ');

/** A ProductRow from `alias`, a subquery selecting PRODUCT_SOURCE_COLUMNS. */
export function productRowColumnsOf(alias: string): string {
  return COLUMNS.map(([, name]) => (TIMESTAMPS.has(name) ? `${isoUtc(`${alias}.${name}`)} AS ${name}` : `${alias}.${name}`)).join(', ');
}

/** A ProductRow straight from products p JOIN categories c. */
export const PRODUCT_COLUMNS = COLUMNS.map(([expr, name]) =>
  TIMESTAMPS.has(name) ? `${isoUtc(expr)} AS ${name}` : expr.endsWith(`.${name}`) ? expr : `${expr} AS ${name}`,
).join(', ');

export interface ProductRow {
  id: string;
  sku: string;
  name: string;
  description: string;
  price_cents: number;
  currency: string;
  stock: number;
  /** ISO 8601 UTC with milliseconds (see PRODUCT_COLUMNS). */
  created_at: string;
  updated_at: string;
  category_id: string;
  category_name: string;
  category_slug: string;
}

/** The contract's product shape (property order included). */
export function toProduct(row: ProductRow): Product {
  return {
    id: row.id,
    sku: row.sku,
    name: row.name,
    description: row.description,
    priceCents: row.price_cents,
    currency: row.currency.trim(),
    stock: row.stock,
    category: { id: row.category_id, name: row.category_name, slug: row.category_slug },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
