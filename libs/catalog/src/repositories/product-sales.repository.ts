import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';

/** A product's sold units with the version of that total (raised on every change). */
export interface SalesTotal {
  productId: string;
  units: number;
  version: number;
}

interface SalesRow {
  product_id: string;
  units: string;
  version: string;
}

const toTotal = (r: SalesRow): SalesTotal => ({ productId: r.product_id, units: Number(r.units), version: Number(r.version) });

/** catalog.product_sales: the only code that reads or writes it. */
@Injectable()
export class ProductSalesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Adds each delta (may be negative) in product id order, so concurrent callers cannot deadlock; the new totals. */
  async add(deltas: readonly { productId: string; delta: number }[], manager: EntityManager): Promise<SalesTotal[]> {
    const sorted = [...deltas].sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));
    if (sorted.length === 0) return [];
    const rows = await manager.query<SalesRow[]>(
      `INSERT INTO catalog.product_sales AS s (product_id, units, version)
       SELECT p, d, 1 FROM unnest($1::uuid[], $2::bigint[]) AS x(p, d)
       ON CONFLICT (product_id) DO UPDATE SET units = s.units + EXCLUDED.units, version = s.version + 1, updated_at = now()
       RETURNING product_id, units, version`,
      [sorted.map((d) => d.productId), sorted.map((d) => d.delta)],
    );
    return rows.map(toTotal);
  }

  async find(productIds: readonly string[], manager: EntityManager = this.dataSource.manager): Promise<SalesTotal[]> {
    if (productIds.length === 0) return [];
    const rows = await manager.query<SalesRow[]>(
      'SELECT product_id, units, version FROM catalog.product_sales WHERE product_id = ANY($1::uuid[])',
      [productIds],
    );
    return rows.map(toTotal);
  }

  /** Live products with the most units sold, best first (ties as the Redis ranking orders them). */
  async top(count: number, manager: EntityManager = this.dataSource.manager): Promise<SalesTotal[]> {
    const rows = await manager.query<SalesRow[]>(
      `SELECT s.product_id, s.units, s.version FROM catalog.product_sales s
         JOIN catalog.products p ON p.id = s.product_id AND p.deleted_at IS NULL
        WHERE s.units > 0 ORDER BY s.units DESC, s.product_id DESC LIMIT $1`,
      [count],
    );
    return rows.map(toTotal);
  }
}
