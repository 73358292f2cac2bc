import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { InventoryItemDto, InventoryResultDto } from '../dto/inventory.dto.js';
import { CatalogCache } from './catalog-cache.service.js';
import { PG, pgError } from './pg-errors.js';
import { rowsOf } from './product-view.js';

/** What the orders module takes: `quantity` units of a product. */
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

/** 409 naming every product whose stock is too low (and nothing was taken). */
export class InsufficientStockException extends ConflictException {
  constructor(readonly productIds: string[]) {
    super(`insufficient stock for product(s) ${productIds.join(', ')}`);
  }
}

/** 404 naming every unknown or deleted product. */
export class UnknownProductsException extends NotFoundException {
  constructor(readonly productIds: string[]) {
    super(`product(s) not found: ${productIds.join(', ')}`);
  }
}

const byId = <T extends { productId: string }>(a: T, b: T): number => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0);

/**
 * Stock, enforced by the database: one guarded single-statement UPDATE per product
 * (`stock + delta >= 0` is re-checked on the locked row, so concurrent changes never overdraw),
 * rows taken in id order (two batches touching the same products cannot deadlock), all inside
 * one transaction on the primary: one failure rolls everything back.
 */
@Injectable()
export class InventoryService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cache: CatalogCache,
  ) {}

  /** PATCH /products/inventory: all or nothing; 404 / 409 name the products; new stock in request order. */
  async adjust(items: readonly InventoryItemDto[]): Promise<InventoryResultDto> {
    const normalized = items.map((i) => ({ ...i, productId: i.productId.toLowerCase() }));
    const seen = new Set<string>();
    for (const [index, item] of normalized.entries()) {
      if (seen.has(item.productId)) throw new BadRequestException([`items.${index}.productId: product ${item.productId} appears more than once`]);
      seen.add(item.productId);
    }
    const stock = new Map<string, number>();
    try {
      await this.dataSource.transaction(async (m) => {
        const failed: string[] = [];
        for (const item of [...normalized].sort(byId)) {
          const rows = rowsOf<{ stock: number }>(
            item.stock !== undefined
              ? await m.query('UPDATE catalog.products SET stock = $2::int, updated_at = now() WHERE id = $1::uuid AND deleted_at IS NULL RETURNING stock', [
                  item.productId,
                  item.stock,
                ])
              : await m.query(
                  `UPDATE catalog.products SET stock = stock + $2::int, updated_at = now()
                   WHERE id = $1::uuid AND deleted_at IS NULL AND stock + $2::int >= 0 RETURNING stock`,
                  [item.productId, item.delta],
                ),
          );
          if (rows[0]) stock.set(item.productId, rows[0].stock);
          else failed.push(item.productId);
        }
        if (failed.length) await this.explain(m, failed); // throws: the transaction rolls back
      });
    } catch (error) {
      if (pgError(error).code === PG.numericOutOfRange) throw new ConflictException('stock: the new stock would exceed the maximum');
      throw error;
    }
    await this.cache.productsChanged([...stock.keys()]);
    return { items: normalized.map((i) => ({ productId: i.productId, stock: stock.get(i.productId)! })) };
  }

  /**
   * For the orders module, inside ITS transaction (pass its EntityManager): takes the stock of
   * every line atomically or throws (UnknownProductsException 404 / InsufficientStockException
   * 409, naming the products) so the caller's transaction rolls back. Returns the product
   * snapshot for the order lines. After the caller COMMITS, it must call stockChanged(ids).
   */
  async takeStock(manager: EntityManager, lines: readonly StockRequest[]): Promise<TakenStock[]> {
    const taken: TakenStock[] = [];
    const failed: string[] = [];
    for (const line of [...lines].sort(byId)) {
      const [row] = rowsOf<{ sku: string; name: string; price_cents: number; currency: string; stock: number }>(
        await manager.query(
          `UPDATE catalog.products SET stock = stock - $2::int, updated_at = now()
           WHERE id = $1::uuid AND deleted_at IS NULL AND stock >= $2::int
           RETURNING sku, name, price_cents, currency, stock`,
          [line.productId, line.quantity],
        ),
      );
      if (!row) failed.push(line.productId);
      else
        taken.push({
          productId: line.productId,
          sku: row.sku,
          name: row.name,
          priceCents: row.price_cents,
          currency: row.currency.trim(),
          quantity: line.quantity,
          stockLeft: row.stock,
        });
    }
    if (failed.length) await this.explain(manager, failed);
    const order = new Map(lines.map((l, i) => [l.productId, i]));
    return taken.sort((a, b) => order.get(a.productId)! - order.get(b.productId)!);
  }

  /** For cancellations, inside the caller's transaction: gives units back (also to deleted products). */
  async releaseStock(manager: EntityManager, lines: readonly StockRequest[]): Promise<void> {
    for (const line of [...lines].sort(byId)) {
      await manager.query('UPDATE catalog.products SET stock = stock + $2::int, updated_at = now() WHERE id = $1::uuid', [line.productId, line.quantity]);
    }
  }

  /** After a transaction that changed stock COMMITTED: product and list caches follow. */
  stockChanged(productIds: readonly string[]): Promise<void> {
    return this.cache.productsChanged(productIds);
  }

  /** Throws 404 for unknown/deleted products, else 409 for those short of stock. */
  private async explain(m: EntityManager, failed: string[]): Promise<never> {
    const live = (await m.query('SELECT id FROM catalog.products WHERE id = ANY($1::uuid[]) AND deleted_at IS NULL', [failed])) as { id: string }[];
    const known = new Set(live.map((r) => r.id));
    const unknown = failed.filter((id) => !known.has(id));
    if (unknown.length) throw new UnknownProductsException(unknown);
    throw new InsufficientStockException(failed);
  }
}
