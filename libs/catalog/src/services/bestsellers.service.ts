import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { isUuid } from '@app/common';
import { OutboxRepository, Transactions } from '@app/database';
import type { Bestseller, SoldItem } from '../catalog.types.js';
import { ProductSalesRepository, type SalesTotal } from '../repositories/product-sales.repository.js';
import { BestsellersStore } from '../store/bestsellers.store.js';
import { ProductReader } from './product-reader.service.js';

/** The handler name under which applied sales are recorded in the inbox. */
const INBOX_HANDLER = 'catalog.bestsellers';
const REBUILD_SIZE = 1_000;

/**
 * Units sold per product. Each sale (an order placed) or return (an order cancelled) is applied
 * once: its id is recorded in the inbox in the same transaction as the durable totals
 * (catalog.product_sales), and the new totals are then published to the Redis ranking with their
 * versions. A repeated sale changes nothing in Postgres and re-publishes the current totals, so a
 * publish lost to a crash or a Redis outage is repaired by the retry.
 */
@Injectable()
export class BestsellersService {
  private readonly logger = new Logger(BestsellersService.name);

  constructor(
    private readonly transactions: Transactions,
    private readonly outbox: OutboxRepository,
    private readonly sales: ProductSalesRepository,
    private readonly store: BestsellersStore,
    private readonly products: ProductReader,
  ) {}

  /**
   * Adds sold units; resolves false when `saleId` was already applied. Throws when the database or
   * Redis is unreachable (the caller's job retries; the retry publishes what is committed).
   */
  recordSale(items: readonly SoldItem[], saleId: string = randomUUID()): Promise<boolean> {
    return this.apply(saleId, items, 1);
  }

  /** Takes the units of a cancelled sale back; resolves false when `returnId` was already applied. */
  recordReturn(items: readonly SoldItem[], returnId: string): Promise<boolean> {
    return this.apply(returnId, items, -1);
  }

  /**
   * Live products by units sold, each read through the product cache (so a product write shows
   * here at once); deleted products are skipped. Read from Postgres when the ranking in Redis is
   * unreachable or lost (and then rebuilt).
   */
  async top(limit: number): Promise<Bestseller[]> {
    const ranked = (await this.ranking(limit + 20)).filter((r) => isUuid(r.productId));
    const products = await Promise.all(ranked.map((r) => this.products.findById(r.productId)));
    const items: Bestseller[] = [];
    for (let i = 0; i < ranked.length && items.length < limit; i++) {
      const product = products[i];
      if (product) items.push({ ...product, unitsSold: ranked[i].unitsSold });
    }
    return items;
  }

  /** Republishes the best totals from Postgres (after Redis lost its data); how many were published. */
  async rebuildRanking(): Promise<number> {
    const totals = await this.sales.top(REBUILD_SIZE);
    await this.store.rebuild(totals);
    return totals.length;
  }

  /** A deleted product leaves the ranking. */
  async forget(productId: string): Promise<void> {
    await this.store.remove(productId).catch(() => undefined);
  }

  private async apply(eventId: string, items: readonly SoldItem[], sign: 1 | -1): Promise<boolean> {
    const deltas = merge(items, sign);
    let published: SalesTotal[] = [];
    const applied = await this.transactions.run(async (tx) => {
      if (!(await this.outbox.recordApplied(tx.manager, INBOX_HANDLER, eventId))) {
        published = await this.sales.find(
          deltas.map((d) => d.productId),
          tx.manager,
        );
        return false;
      }
      published = await this.sales.add(deltas, tx.manager);
      return true;
    });
    await this.store.publish(published);
    return applied;
  }

  private async ranking(count: number): Promise<{ productId: string; unitsSold: number }[]> {
    let ranking: { complete: boolean; ranked: { productId: string; unitsSold: number }[] };
    try {
      ranking = await this.store.top(count);
    } catch {
      return (await this.sales.top(count)).map((t) => ({ productId: t.productId, unitsSold: t.units }));
    }
    if (ranking.complete) return ranking.ranked;
    // The ranking was lost (or never built): answer from the durable totals and rebuild it.
    const durable = await this.sales.top(count);
    void this.rebuildRanking().catch((error: unknown) => this.logger.warn(`bestseller ranking not rebuilt: ${(error as Error).message}`));
    return durable.map((t) => ({ productId: t.productId, unitsSold: t.units }));
  }
}

/** One delta per product (lines of one order name each product once; merged defensively). */
function merge(items: readonly SoldItem[], sign: 1 | -1): { productId: string; delta: number }[] {
  const byProduct = new Map<string, number>();
  for (const item of items)
    if (item.quantity > 0)
      byProduct.set(item.productId.toLowerCase(), (byProduct.get(item.productId.toLowerCase()) ?? 0) + sign * item.quantity);
  return [...byProduct].map(([productId, delta]) => ({ productId, delta }));
}
