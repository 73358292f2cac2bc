import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { NotFoundError } from '@app/common';
import { ReplicaReader } from '@app/database';
import type { Product, ProductPage, ProductQuery } from '../catalog.types.js';
import { normalizeProductQuery, productQueryKey } from '../product-query.js';
import { ProductListRepository } from '../repositories/product-list.repository.js';
import { ProductsRepository } from '../repositories/products.repository.js';
import { CatalogCache } from './catalog-cache.service.js';
import { UncachedRead } from './uncached-read.js';
import { ProductReadsStore } from '../store/product-reads.store.js';
import { ReplicaFreshness } from './replica-freshness.service.js';

/**
 * Product reads. By id: cache-aside, loaded from the PRIMARY (a product read right after a write
 * must show it; the cache makes the primary read rare); while the primary cannot be reached, from
 * the replica, served without being cached (UncachedRead). Lists: cache-aside per normalized query,
 * loaded from the replica only when it has replayed every acknowledged write (ReplicaFreshness).
 * Results are shared cache objects: never mutate them.
 */
@Injectable()
export class ProductReader {
  constructor(
    private readonly cache: CatalogCache,
    private readonly products: ProductsRepository,
    private readonly lists: ProductListRepository,
    private readonly freshness: ReplicaFreshness,
    private readonly reads: ProductReadsStore,
    private readonly replicaReader: ReplicaReader,
  ) {}

  /** A live product as a client asked for it (counted, sampled, for warming); NotFoundError for unknown or deleted ids. */
  async get(id: string): Promise<Product> {
    this.reads.sample(id);
    const product = await this.findById(id);
    if (!product) throw new NotFoundError(`product ${id} not found`);
    return product;
  }

  /**
   * get() when this instance's L1 holds the product now, synchronously (counted and sampled like
   * get()); undefined otherwise (not in L1, or cached as unknown: get() answers those).
   */
  peek(id: string): Product | undefined {
    const product = this.cache.peekProduct(id);
    if (!product) return undefined;
    this.reads.sample(id);
    return product;
  }

  /** A live product (through the cache), or null. */
  findById(id: string): Promise<Product | null> {
    return this.cache.product(id, async () => {
      const { value, source } = await this.replicaReader.primaryFirst((manager) => this.loadProduct(id, manager));
      if (source === 'replica') throw new UncachedRead(value);
      return value;
    });
  }

  /** One list page (through the cache). */
  list(query: ProductQuery): Promise<ProductPage> {
    const normalized = normalizeProductQuery(query);
    return this.cache.list(productQueryKey(normalized), (version) =>
      this.freshness.read((manager) => this.lists.run(manager, normalized), version),
    );
  }

  /** Cache loader of one product: a single read on the primary (or the given session). */
  async loadProduct(id: string, manager?: EntityManager): Promise<Product | null> {
    const [product] = await this.products.findLive([id], manager);
    return product ?? null;
  }
}
