import { Injectable } from '@nestjs/common';
import { ConflictError, InsufficientStockError, InvalidInputError } from '@app/common';
import { OutboxRepository, PG, Transactions, withPgErrors, type Transaction } from '@app/database';
import { CATALOG_EVENTS, type StockChangedEvent } from '../catalog.events.js';
import { UnknownProductsError } from '../catalog.errors.js';
import type { InventoryChange, InventoryResult, StockRequest, TakenStock } from '../catalog.types.js';
import { ProductsRepository } from '../repositories/products.repository.js';
import { CatalogCache } from './catalog-cache.service.js';

const OUT_OF_RANGE = [
  { code: PG.numericOutOfRange, error: () => new ConflictError('stock: the new stock would exceed the maximum') },
] as const;

// Ids are lower-cased before use: one spelling per product, so one cache key to invalidate.
const lowerCaseIds = (lines: readonly StockRequest[]): StockRequest[] => lines.map((l) => ({ ...l, productId: l.productId.toLowerCase() }));
const byId = <T extends { productId: string }>(a: T, b: T): number => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0);

/**
 * Stock, enforced by the database: one guarded single-statement UPDATE per product, rows taken in
 * id order (two batches touching the same products cannot deadlock), all inside one transaction on
 * the primary: one failure rolls everything back. The product and list caches follow each commit.
 */
@Injectable()
export class InventoryService {
  constructor(
    private readonly transactions: Transactions,
    private readonly products: ProductsRepository,
    private readonly cache: CatalogCache,
    private readonly outbox: OutboxRepository,
  ) {}

  /** Admin inventory change: all or nothing; unknown / short products are named; new stock in request order. */
  async adjust(items: readonly InventoryChange[]): Promise<InventoryResult> {
    const normalized = items.map((i) => ({ ...i, productId: i.productId.toLowerCase() }));
    const seen = new Set<string>();
    for (const [index, item] of normalized.entries()) {
      if (seen.has(item.productId))
        throw new InvalidInputError([`items.${index}.productId: product ${item.productId} appears more than once`]);
      seen.add(item.productId);
    }
    const stock = new Map<string, number>();
    await withPgErrors(OUT_OF_RANGE, () =>
      this.transactions.run(async (tx) => {
        const failed: string[] = [];
        for (const item of [...normalized].sort(byId)) {
          const after =
            item.stock !== undefined
              ? await this.products.setStock(item.productId, item.stock, tx.manager)
              : await this.products.addStock(item.productId, item.delta ?? 0, tx.manager);
          if (after === null) failed.push(item.productId);
          else stock.set(item.productId, after);
        }
        if (failed.length) await this.explain(tx, failed); // throws: the transaction rolls back
        const event: StockChangedEvent = { productIds: [...stock.keys()] };
        await this.outbox.append(tx.manager, CATALOG_EVENTS.stockChanged, event);
        tx.afterCommit(() => this.cache.productsChanged(event.productIds));
      }),
    );
    return { items: normalized.map((i) => ({ productId: i.productId, stock: stock.get(i.productId)! })) };
  }

  /**
   * Takes the stock of every line inside the caller's transaction, atomically, or throws
   * (UnknownProductsError / InsufficientStockError, naming the products) so that transaction rolls
   * back. Returns the product snapshot for order lines, in request order. Caches follow the commit.
   */
  async takeStock(tx: Transaction, requested: readonly StockRequest[]): Promise<TakenStock[]> {
    const lines = lowerCaseIds(requested);
    const taken: TakenStock[] = [];
    const failed: string[] = [];
    for (const line of [...lines].sort(byId)) {
      const row = await this.products.take(line.productId, line.quantity, tx.manager);
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
    if (failed.length) await this.explain(tx, failed);
    tx.afterCommit(() => this.cache.productsChanged(lines.map((l) => l.productId)));
    const order = new Map(lines.map((l, i) => [l.productId, i]));
    return taken.sort((a, b) => order.get(a.productId)! - order.get(b.productId)!);
  }

  /** For cancellations, inside the caller's transaction: gives units back (also to deleted products). */
  async releaseStock(tx: Transaction, returned: readonly StockRequest[]): Promise<void> {
    const lines = lowerCaseIds(returned);
    for (const line of [...lines].sort(byId)) await this.products.release(line.productId, line.quantity, tx.manager);
    tx.afterCommit(() => this.cache.productsChanged(lines.map((l) => l.productId)));
  }

  /** Throws not-found for unknown/deleted products, else insufficient stock for the rest. */
  private async explain(tx: Transaction, failed: string[]): Promise<never> {
    const live = await this.products.liveIds(failed, tx.manager);
    const unknown = failed.filter((id) => !live.has(id));
    if (unknown.length) throw new UnknownProductsError(unknown);
    throw new InsufficientStockError(failed);
  }
}
