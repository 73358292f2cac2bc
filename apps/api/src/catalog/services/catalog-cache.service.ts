import { Injectable } from '@nestjs/common';
import type { CacheAside } from '@app/cache';
import { CacheService } from '@app/cache';
import type { JsonBody } from '../http/etag.js';
import { ReplicaFreshness } from './replica-freshness.service.js';

/** Cache namespaces of the catalog (their hits and misses show in the cache stats). */
export const CATALOG_NAMESPACES = { products: 'products', lists: 'product-lists', categories: 'categories' } as const;

const MINUTE = 60_000;

/**
 * Keys, namespaces and invalidation of the catalog cache. Values are response bodies serialized
 * once with their ETag (JsonBody).
 *
 * - products: one entry per id, cache-aside with libs/cache's single-flight + distributed load
 *   lock (one database read per cold product across all instances); unknown ids are cached as
 *   "not found" briefly. Loaders read the primary.
 * - product-lists: one entry per normalized query; any product or category write bumps the
 *   namespace version (O(1)), so every cached page dies at once.
 * - categories: the whole list under one key.
 * Stale-set race: entries are stored compare-and-set against the entry head / namespace version
 * seen before loading, so a load that started before an invalidation never stores its old value.
 */
@Injectable()
export class CatalogCache {
  readonly products: CacheAside;
  readonly lists: CacheAside;
  readonly categories: CacheAside;

  constructor(
    readonly service: CacheService,
    private readonly freshness: ReplicaFreshness,
  ) {
    this.products = service.namespace(CATALOG_NAMESPACES.products, { defaults: { ttl: 10 * MINUTE, jitter: 0.1, staleFor: MINUTE } });
    this.lists = service.namespace(CATALOG_NAMESPACES.lists, { defaults: { ttl: 5 * MINUTE, jitter: 0.1 } });
    this.categories = service.namespace(CATALOG_NAMESPACES.categories, { defaults: { ttl: 10 * MINUTE } });
  }

  /** A product body, or null for an unknown/deleted id (cached as a short negative entry). */
  async product(id: string, loader: () => Promise<JsonBody | null>): Promise<JsonBody | null> {
    const body = await this.products.getOrLoad<JsonBody | null>(id, loader, { nullIsMiss: true, negativeTtl: MINUTE });
    return body ?? null;
  }

  list(key: string, loader: () => Promise<JsonBody>): Promise<JsonBody> {
    return this.lists.getOrLoad(key, loader);
  }

  categoryList(loader: () => Promise<JsonBody>): Promise<JsonBody> {
    return this.categories.getOrLoad('all', loader);
  }

  /**
   * After products were written (committed): record the commit LSN for replica list reads, drop
   * their entries (tombstones, so older loads cannot write them back) and every cached list.
   * Returns once Redis applied it; callers then re-read through the cache (write-through of the
   * committed row).
   */
  async productsChanged(ids: readonly string[]): Promise<void> {
    await this.freshness.recordWrite();
    const keys = ids.map((id) => this.products.key(id));
    await Promise.all([this.service.invalidator.invalidateKeys(CATALOG_NAMESPACES.products, keys), this.lists.invalidateAll()]);
  }

  /** After a category write: categories, and every product and list (they embed the category). */
  async categoriesChanged(): Promise<void> {
    await this.freshness.recordWrite();
    await Promise.all([this.categories.invalidateAll(), this.products.invalidateAll(), this.lists.invalidateAll()]);
  }
}
