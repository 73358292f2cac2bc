import type { ProductSort } from './catalog.limits.js';

/** A product's category as embedded in products. */
export interface CategoryRef {
  id: string;
  name: string;
  slug: string;
}

/** A live product as every catalog read returns it (property order is the response order). */
export interface Product {
  id: string;
  sku: string;
  name: string;
  description: string;
  /** Minor units of `currency`. */
  priceCents: number;
  currency: string;
  stock: number;
  category: CategoryRef;
  /** ISO 8601 UTC. */
  createdAt: string;
  updatedAt: string;
}

export interface ProductPage {
  items: Product[];
  total: number;
  page: number;
  limit: number;
}

/** Filters, sort and pagination of a product list (absent = no filter / the default). */
export interface ProductQuery {
  q?: string;
  category?: string;
  minPrice?: number;
  maxPrice?: number;
  inStock?: 'true' | 'false';
  sort?: ProductSort;
  page?: number;
  limit?: number;
}

export interface NewProduct {
  sku: string;
  name: string;
  description?: string;
  priceCents: number;
  stock?: number;
  categoryId: string;
}

export type ProductChange = Partial<NewProduct>;

export interface Category {
  id: string;
  name: string;
  slug: string;
  parentId: string | null;
}

export interface NewCategory {
  name: string;
  slug: string;
  parentId?: string | null;
}

export type CategoryChange = Partial<NewCategory>;

/** One inventory change: `stock` sets it, `delta` adds to it (exactly one of the two). */
export interface InventoryChange {
  productId: string;
  stock?: number;
  delta?: number;
}

export interface InventoryResult {
  items: { productId: string; stock: number }[];
}

/** What a buyer takes: `quantity` units of a product. */
export interface StockRequest {
  productId: string;
  quantity: number;
}

/** The product as it was when its stock was taken (the order line snapshot). */
export interface TakenStock {
  productId: string;
  sku: string;
  name: string;
  priceCents: number;
  currency: string;
  quantity: number;
  stockLeft: number;
}

/** What other modules (the cart) need of a live product. */
export interface ProductSummary {
  id: string;
  name: string;
  priceCents: number;
  currency: string;
  stock: number;
}

/** A live product with the units sold so far. */
export interface Bestseller extends Product {
  unitsSold: number;
}

export interface SoldItem {
  productId: string;
  quantity: number;
}
