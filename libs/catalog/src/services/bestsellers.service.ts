import { Injectable } from '@nestjs/common';
import { isUuid } from '@app/common';
import type { Bestseller, SoldItem } from '../catalog.types.js';
import { BestsellersStore } from '../store/bestsellers.store.js';
import { ProductReader } from './product-reader.service.js';

/** Units sold per product; the orders side calls recordSale (with the order id, so a retry counts once). */
@Injectable()
export class BestsellersService {
  constructor(
    private readonly store: BestsellersStore,
    private readonly products: ProductReader,
  ) {}

  /**
   * Adds sold units. Throws when Redis is unreachable (the caller's job retries); with `saleId`,
   * a repeated call for the same sale is ignored. Resolves false when it was a repeat.
   */
  recordSale(items: readonly SoldItem[], saleId?: string): Promise<boolean> {
    return this.store.record(items, saleId);
  }

  /**
   * Live products by units sold, each read through the product cache (so a product write shows
   * here at once); deleted products are skipped.
   */
  async top(limit: number): Promise<Bestseller[]> {
    const ranked = (await this.ranking(limit + 20)).filter((r) => isUuid(r.productId));
    const products = await Promise.all(ranked.map((r) => this.products.findById(r.productId)));
    const items: Bestseller[] = [];
    for (let i = 0; i < ranked.length && items.length < limit; i++) {
      const product = products[i];
      if (product) items.push({ ...product, unitsSold: ranked[i]!.unitsSold });
    }
    return items;
  }

  /** Top product ids with units sold, best first (empty when Redis is unreachable). */
  async ranking(count: number): Promise<{ productId: string; unitsSold: number }[]> {
    try {
      return await this.store.top(count);
    } catch {
      return [];
    }
  }

  /** A deleted product leaves the ranking. */
  async forget(productId: string): Promise<void> {
    await this.store.remove(productId).catch(() => undefined);
  }
}
