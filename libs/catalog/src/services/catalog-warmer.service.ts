import { Injectable } from '@nestjs/common';
import { DEFAULT_SORT } from '../catalog.limits.js';
import { ProductReadsStore } from '../store/product-reads.store.js';
import { CatalogCache } from './catalog-cache.service.js';
import { CategoryService } from './category.service.js';
import { ProductReader } from './product-reader.service.js';

/** Keeps the catalog cache warm: after stock changes, and with the most-read products after a deploy. */
@Injectable()
export class CatalogWarmer {
  constructor(
    private readonly cache: CatalogCache,
    private readonly reader: ProductReader,
    private readonly categories: CategoryService,
    private readonly reads: ProductReadsStore,
  ) {}

  /**
   * Drops the products' entries on every instance (L1 and Redis) and loads them again. Repeating
   * it changes nothing, so a redelivered event is harmless.
   */
  async refresh(productIds: readonly string[]): Promise<void> {
    await this.cache.productsChanged(productIds);
    await Promise.all(productIds.map((id) => this.reader.findById(id)));
  }

  /** Loads the `count` most-read products, the categories and the first default list page; how many products. */
  async warmMostRead(count: number): Promise<number> {
    const ids = await this.reads.top(count);
    await Promise.all([
      ...ids.map((id) => this.reader.findById(id)),
      this.categories.list(),
      this.reader.list({ sort: DEFAULT_SORT, page: 1, limit: 20 }),
    ]);
    return ids.length;
  }
}
