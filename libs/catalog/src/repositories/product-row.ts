import type { Product } from '../catalog.types.js';

/** Columns every product read selects (p = products, c = categories). */
export const PRODUCT_COLUMNS = `p.id, p.sku, p.name, p.description, p.price_cents, p.currency, p.stock, p.created_at, p.updated_at,
  c.id AS category_id, c.name AS category_name, c.slug AS category_slug`;

export interface ProductRow {
  id: string;
  sku: string;
  name: string;
  description: string;
  price_cents: number;
  currency: string;
  stock: number;
  created_at: Date;
  updated_at: Date;
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
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
