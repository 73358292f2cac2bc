import { Injectable } from '@nestjs/common';
import { CacheService, type CacheAside } from '@app/cache';
import type { ReadSource } from '@app/database';
import type { Category, Product, ProductPage } from '../catalog.types.js';
import { ReplicaFreshness } from './replica-freshness.service.js';
import { servedUncached, UncachedRead } from './uncached-read.js';

/** Cache namespaces of the catalog (their hits and misses show in the cache stats). */
export const CATALOG_NAMESPACES = { products: 'products', lists: 'product-lists', categories: 'categories' } as const;

const MINUTE = 60_000;
// v2: entries hold domain objects (v1 held serialized response bodies).
const KEY_VERSION = 2;

/**
 * Keys, namespaces and invalidation of the catalog cache. Values are the domain objects; an L1 hit
 * hands back the same (shared, never mutated) object each time, so the HTTP edge can keep its
 * serialized body per object.
 *
 * - products: one entry per id, cache-aside with libs/cache's single-flight + distributed load
 *   lock (one database read per cold product across all instances); unknown ids are cached as
 *   "not found" briefly. Loaders read the primary.
 * - product-lists: one entry per normalized query; any product or category write bumps the
 *   namespace version (O(1)), so every cached page dies at once. A page enters L1 when it is read
 *   again, not when loaded (l1: 'reread').
 * - categories: the whole list under one key.
 * A loader may throw UncachedRead (the primary unreachable, the replica answered): that value is
 * served to the callers of this load and never stored.
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
    this.products = service.namespace(CATALOG_NAMESPACES.products, {
      keyVersion: KEY_VERSION,
      defaults: { ttl: 10 * MINUTE, jitter: 0.1, staleFor: MINUTE },
    });
    this.lists = service.namespace(CATALOG_NAMESPACES.lists, {
      keyVersion: KEY_VERSION,
      defaults: { ttl: 5 * MINUTE, jitter: 0.1, l1: 'reread' },
    });
    this.categories = service.namespace(CATALOG_NAMESPACES.categories, { keyVersion: KEY_VERSION, defaults: { ttl: 10 * MINUTE } });
  }

  /** A live product, or null for an unknown/deleted id (cached as a short negative entry). */
  async product(id: string, loader: () => Promise<Product | null>): Promise<Product | null> {
    const product = await this.products
      .getOrLoad<Product | null>(id, loader, { nullIsMiss: true, negativeTtl: MINUTE })
      .catch(servedUncached<Product | null>);
    return product ?? null;
  }

  /**
   * The product as this instance's L1 holds it now, synchronously: the product, null (cached as
   * unknown), or undefined when L1 does not hold it (then product() decides, with Redis).
   */
  peekProduct(id: string): Product | null | undefined {
    return this.products.peek<Product | null>(id)?.value;
  }

  /**
   * Products of `ids` in order (undefined for unknown/deleted ids): L1 first, then one MGET, then
   * ONE loader call for the misses, stored like single loads (compare-and-set, same stampede
   * protection), unknown ids as short negative entries. `load` tells where it read: what the
   * replica answered (the primary unreachable) is served, never cached.
   */
  async productsMany(
    ids: readonly string[],
    load: (missing: string[]) => Promise<{ value: ReadonlyMap<string, Product>; source: ReadSource }>,
  ): Promise<(Product | undefined)[]> {
    try {
      return await this.products.getMany<Product>(
        ids,
        async (missing) => {
          const { value, source } = await load(missing as string[]);
          if (source === 'replica') throw new UncachedRead(value);
          return value;
        },
        { nullIsMiss: true, negativeTtl: MINUTE },
      );
    } catch (error) {
      // This batch, or a single-product load it joined, read the replica: answer without caching.
      if (!(error instanceof UncachedRead)) throw error;
      const cached = await this.products.mget<Product | null>(ids);
      const missing = ids.filter((_, i) => !cached[i]);
      const loaded = missing.length ? (await load(missing)).value : new Map<string, Product>();
      return ids.map((id, i) => cached[i] ?? loaded.get(id));
    }
  }

  /** A list page; the loader gets the `product-lists` version of the miss (see ReplicaFreshness.read). */
  list(key: string, loader: (listsVersion: number | undefined) => Promise<ProductPage>): Promise<ProductPage> {
    return this.lists.getOrLoad<ProductPage>(key, (ctx) => loader(ctx.namespaceVersion)).catch(servedUncached<ProductPage>);
  }

  categoryList(loader: () => Promise<Category[]>): Promise<Category[]> {
    return this.categories.getOrLoad('all', loader).catch(servedUncached<Category[]>);
  }

  /**
   * After products were written (committed): record the commit LSN for replica list reads, drop
   * their entries (tombstones, so older loads cannot write them back) and every cached list.
   * Returns once Redis applied it.
   */
  async productsChanged(ids: readonly string[]): Promise<void> {
    await this.freshness.recordWrite();
    const keys = ids.map((id) => this.products.key(id));
    await Promise.all([this.service.invalidator.invalidateKeys(CATALOG_NAMESPACES.products, keys), this.lists.invalidateAll()]);
  }

  /** After a category write or a bulk import: categories, and every product and list (they embed the category). */
  async catalogChanged(): Promise<boolean> {
    await this.freshness.recordWrite();
    const done = await Promise.all([this.categories.invalidateAll(), this.products.invalidateAll(), this.lists.invalidateAll()]);
    return done.every((ok) => ok !== false);
  }
}
