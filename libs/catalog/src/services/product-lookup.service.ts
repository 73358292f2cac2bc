import { Injectable } from '@nestjs/common';
import { isUuid } from '@app/common';
import { ReplicaReader } from '@app/database';
import type { Product, ProductSummary } from '../catalog.types.js';
import { ProductsRepository } from '../repositories/products.repository.js';
import { CatalogCache } from './catalog-cache.service.js';

/**
 * Batched product reads for other modules (cart pricing, checkout): L1, then one cache round trip
 * for every id, then ONE primary read for the misses (the same read the product cache loads with;
 * the replica while the primary cannot be reached, served but not cached). Misses are cached for the next caller with
 * compare-and-set against the entry seen before the read, so a read racing a catalog write never
 * puts an old product back. Unknown and deleted ids are simply absent from the result.
 */
@Injectable()
export class ProductLookup {
  constructor(
    private readonly cache: CatalogCache,
    private readonly products: ProductsRepository,
    private readonly replicaReader: ReplicaReader,
  ) {}

  async findMany(ids: readonly string[]): Promise<Map<string, ProductSummary>> {
    // Only well-formed ids reach the cache and the ::uuid[] cast (anything else is simply unknown).
    const unique = [...new Set(ids.map((id) => id.toLowerCase()))].filter(isUuid);
    const out = new Map<string, ProductSummary>();
    if (unique.length === 0) return out;
    const products = await this.cache.productsMany(unique, async (missing) => {
      const { value, source } = await this.replicaReader.primaryFirst((manager) => this.products.findLive(missing, manager));
      return { value: new Map(value.map((p) => [p.id, p])), source };
    });
    unique.forEach((id, i) => {
      const product = products[i];
      if (product) out.set(id, summaryOf(product));
    });
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
