import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { Transactions } from '@app/database';
import { CategoriesRepository } from '../repositories/categories.repository.js';
import { ProductsRepository } from '../repositories/products.repository.js';
import { CatalogCache } from './catalog-cache.service.js';

export interface CategoryImport {
  name: string;
  slug: string;
  /** Slug of a category listed earlier. */
  parent?: string;
}

export interface ProductImportItem {
  sku: string;
  name: string;
  description: string;
  priceCents: number;
  stock: number;
  /** Slug of an imported category. */
  category: string;
}

export interface ImportResult {
  categories: number;
  products: number;
  inserted: number;
  updated: number;
  /** False when Redis did not apply the invalidation (running APIs may serve the old catalog until their entries expire). */
  cachesInvalidated: boolean;
}

const BATCH = 500;

/**
 * Bulk import (the demo seed): idempotent, categories upserted by slug and products by SKU (the
 * stock of an existing product is left alone, orders may have changed it), in one transaction;
 * afterwards every catalog cache is invalidated as an admin write does it.
 */
@Injectable()
export class CatalogImportService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly transactions: Transactions,
    private readonly categories: CategoriesRepository,
    private readonly products: ProductsRepository,
    private readonly cache: CatalogCache,
  ) {}

  async import(categories: readonly CategoryImport[], products: readonly ProductImportItem[]): Promise<ImportResult> {
    let cachesInvalidated = false;
    const counts = await this.transactions.run(async (tx) => {
      const ids = new Map<string, string>();
      for (const c of categories) {
        const parentId = c.parent ? (ids.get(c.parent) ?? null) : null;
        ids.set(c.slug, await this.categories.upsertBySlug({ name: c.name, slug: c.slug, parentId }, tx.manager));
      }
      let inserted = 0;
      let updated = 0;
      for (let i = 0; i < products.length; i += BATCH) {
        const batch = products.slice(i, i + BATCH).map((p) => ({ ...p, categoryId: ids.get(p.category)! }));
        const done = await this.products.upsertMany(batch, this.config.app.currency, tx.manager);
        inserted += done.inserted;
        updated += done.updated;
      }
      tx.afterCommit(async () => {
        cachesInvalidated = await this.cache.catalogChanged().catch(() => false);
      });
      return { categories: ids.size, products: products.length, inserted, updated };
    });
    return { ...counts, cachesInvalidated };
  }
}
