import { Injectable } from '@nestjs/common';
import { isUuid } from '@app/common';
import type { Product, ProductSummary } from '../catalog.types.js';
import { ProductsRepository } from '../repositories/products.repository.js';
import { CatalogCache } from './catalog-cache.service.js';

/**
 * Batched product reads for other modules: one cache round trip (MGET through the products
 * namespace, L1 first) for every id, then ONE primary read for the misses (the same read the
 * product cache loads with). Unknown and deleted ids are simply absent from the result.
 *
 * Misses are not written back to the cache on purpose: a plain set could put back a value older
 * than a concurrent catalog write's invalidation; ProductReader's single-key loads (compare-and-set
 * against the entry head) stay the only writers of product entries.
 */
@Injectable()
export class ProductLookup {
  constructor(
    private readonly cache: CatalogCache,
    private readonly products: ProductsRepository,
  ) {}

  async findMany(ids: readonly string[]): Promise<Map<string, ProductSummary>> {
    // Only well-formed ids reach the cache and the ::uuid[] cast (anything else is simply unknown).
    const unique = [...new Set(ids.map((id) => id.toLowerCase()))].filter(isUuid);
    const out = new Map<string, ProductSummary>();
    if (unique.length === 0) return out;
    const cached = await this.cache.cachedProducts(unique);
    const misses: string[] = [];
    unique.forEach((id, i) => {
      const product = cached[i];
      if (product) out.set(id, summaryOf(product));
      else misses.push(id);
    });
    for (const product of await this.products.findLive(misses)) out.set(product.id, summaryOf(product));
    return out;
  }

  /** One product (same path as findMany). */
  async findOne(id: string): Promise<ProductSummary | null> {
    return (await this.findMany([id])).get(id.toLowerCase()) ?? null;
  }
}

function summaryOf(p: Product): ProductSummary {
  return { id: p.id, name: p.name, priceCents: p.priceCents, currency: p.currency, stock: p.stock };
}
