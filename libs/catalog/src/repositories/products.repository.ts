import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { rowsOf } from '@app/database';
import type { NewProduct, Product, ProductChange } from '../catalog.types.js';
import { PRODUCT_COLUMNS, toProduct, type ProductRow } from './product-row.js';

const COLUMNS: Record<keyof ProductChange, string> = {
  sku: 'sku',
  name: 'name',
  description: 'description',
  priceCents: 'price_cents',
  stock: 'stock',
  categoryId: 'category_id',
};
const CASTS: Record<keyof ProductChange, string> = {
  sku: '',
  name: '',
  description: '',
  priceCents: '::int',
  stock: '::int',
  categoryId: '::uuid',
};

/** A row of the stock statements: the product as it is after the change. */
export interface StockRow {
  sku: string;
  name: string;
  price_cents: number;
  currency: string;
  stock: number;
}

/** A demo/import product, upserted by SKU. */
export interface ProductImport {
  sku: string;
  name: string;
  description: string;
  priceCents: number;
  stock: number;
  categoryId: string;
}

/**
 * catalog.products: the only code that reads or writes it. Every product read goes through
 * `findLive` (one statement for any number of ids); soft-deleted rows stay for past orders.
 */
@Injectable()
export class ProductsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Live products among `ids` (well-formed UUIDs), with their category, in no particular order. */
  async findLive(ids: readonly string[], manager: EntityManager = this.dataSource.manager): Promise<Product[]> {
    if (ids.length === 0) return [];
    const rows = await manager.query<ProductRow[]>(
      `SELECT ${PRODUCT_COLUMNS}
       FROM catalog.products p JOIN catalog.categories c ON c.id = p.category_id
       WHERE p.id = ANY($1::uuid[]) AND p.deleted_at IS NULL`,
      [ids],
    );
    return rows.map(toProduct);
  }

  /** Ids among `ids` that are live products. */
  async liveIds(ids: readonly string[], manager: EntityManager = this.dataSource.manager): Promise<Set<string>> {
    const rows = await manager.query<
      {
        id: string;
      }[]
    >('SELECT id FROM catalog.products WHERE id = ANY($1::uuid[]) AND deleted_at IS NULL', [ids]);
    return new Set(rows.map((r) => r.id));
  }

  /** The new product's id; constraint violations are thrown for the service to translate. */
  async insert(product: NewProduct, currency: string, manager: EntityManager = this.dataSource.manager): Promise<string> {
    const rows = await manager.query<{ id: string }[]>(
      `INSERT INTO catalog.products (sku, name, description, price_cents, currency, stock, category_id)
       VALUES ($1, $2, $3, $4::int, $5, $6::int, $7::uuid) RETURNING id`,
      [product.sku, product.name, product.description ?? '', product.priceCents, currency, product.stock ?? 0, product.categoryId],
    );
    return rows[0].id;
  }

  /** Applies the present fields to a live product; false when there is none. */
  async update(id: string, change: ProductChange, manager: EntityManager = this.dataSource.manager): Promise<boolean> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    for (const field of Object.keys(COLUMNS) as (keyof ProductChange)[]) {
      if (change[field] === undefined) continue;
      params.push(change[field]);
      sets.push(`${COLUMNS[field]} = $${params.length}${CASTS[field]}`);
    }
    if (sets.length === 0) return true; // nothing to change: the caller re-reads the product anyway
    const rows = rowsOf(
      await manager.query(
        `UPDATE catalog.products SET ${sets.join(', ')}, updated_at = now() WHERE id = $1::uuid AND deleted_at IS NULL RETURNING id`,
        params,
      ),
    );
    return rows.length > 0;
  }

  /** Soft delete; false when the product was not live. */
  async softDelete(id: string, manager: EntityManager = this.dataSource.manager): Promise<boolean> {
    const rows = rowsOf(
      await manager.query(
        'UPDATE catalog.products SET deleted_at = now(), updated_at = now() WHERE id = $1::uuid AND deleted_at IS NULL RETURNING id',
        [id],
      ),
    );
    return rows.length > 0;
  }

  /** Sets the stock of a live product; its new stock, or null when it is not live. */
  async setStock(id: string, stock: number, manager: EntityManager = this.dataSource.manager): Promise<number | null> {
    const rows = rowsOf<{ stock: number }>(
      await manager.query(
        'UPDATE catalog.products SET stock = $2::int, updated_at = now() WHERE id = $1::uuid AND deleted_at IS NULL RETURNING stock',
        [id, stock],
      ),
    );
    return rows[0]?.stock ?? null;
  }

  /**
   * Adds `delta` (may be negative) in one guarded statement: `stock + delta >= 0` is re-checked on
   * the locked row, so concurrent changes never overdraw. The new stock, or null when the product
   * is not live or the stock would go below 0.
   */
  async addStock(id: string, delta: number, manager: EntityManager = this.dataSource.manager): Promise<number | null> {
    const rows = rowsOf<{ stock: number }>(
      await manager.query(
        `UPDATE catalog.products SET stock = stock + $2::int, updated_at = now()
         WHERE id = $1::uuid AND deleted_at IS NULL AND stock + $2::int >= 0 RETURNING stock`,
        [id, delta],
      ),
    );
    return rows[0]?.stock ?? null;
  }

  /** Takes `quantity` units of a live product if that many are in stock (guarded); its row after, or null. */
  async take(id: string, quantity: number, manager: EntityManager = this.dataSource.manager): Promise<StockRow | null> {
    const [row] = rowsOf<StockRow>(
      await manager.query(
        `UPDATE catalog.products SET stock = stock - $2::int, updated_at = now()
         WHERE id = $1::uuid AND deleted_at IS NULL AND stock >= $2::int
         RETURNING sku, name, price_cents, currency, stock`,
        [id, quantity],
      ),
    );
    return row ?? null;
  }

  /** Gives units back, to deleted products too (a cancelled order returns what it took). */
  async release(id: string, quantity: number, manager: EntityManager = this.dataSource.manager): Promise<void> {
    await manager.query('UPDATE catalog.products SET stock = stock + $2::int, updated_at = now() WHERE id = $1::uuid', [id, quantity]);
  }

  /**
   * Upserts by SKU among live products (name, description, price and category follow; the stock of
   * an existing product is left alone). Rows that already match are not touched.
   */
  async upsertMany(
    batch: readonly ProductImport[],
    currency: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<{ inserted: number; updated: number }> {
    const rows = await manager.query<{ inserted: boolean }[]>(
      `INSERT INTO catalog.products (sku, name, description, price_cents, currency, stock, category_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::int[], $7::uuid[])
       ON CONFLICT (sku) WHERE deleted_at IS NULL DO UPDATE
         SET name = EXCLUDED.name, description = EXCLUDED.description, price_cents = EXCLUDED.price_cents,
             category_id = EXCLUDED.category_id, updated_at = now()
         WHERE (catalog.products.name, catalog.products.description, catalog.products.price_cents, catalog.products.category_id)
               IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.description, EXCLUDED.price_cents, EXCLUDED.category_id)
       RETURNING (xmax = 0) AS inserted`,
      [
        batch.map((p) => p.sku),
        batch.map((p) => p.name),
        batch.map((p) => p.description),
        batch.map((p) => p.priceCents),
        batch.map(() => currency),
        batch.map((p) => p.stock),
        batch.map((p) => p.categoryId),
      ],
    );
    const inserted = rows.filter((r) => r.inserted).length;
    return { inserted, updated: rows.length - inserted };
  }
}
