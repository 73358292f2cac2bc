import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { ProductDto } from '../dto/product.dto.js';
import type { ProductQueryDto } from '../dto/product-query.dto.js';
import { jsonBody, type JsonBody } from '../http/etag.js';
import { CatalogCache } from './catalog-cache.service.js';
import { ProductListQuery, normalizeProductQuery, productQueryKey } from './product-list-query.js';
import { PRODUCT_COLUMNS, toProductView, type ProductRow } from './product-view.js';
import { ReplicaFreshness } from './replica-freshness.service.js';

/**
 * Product reads. By id: cache-aside, loaded from the PRIMARY (a product read right after a write
 * must show it; the cache makes the primary read rare). Lists: cache-aside per normalized query,
 * loaded from the replica only when it has replayed every acknowledged write (ReplicaFreshness).
 */
@Injectable()
export class ProductReader {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cache: CatalogCache,
    private readonly listQuery: ProductListQuery,
    private readonly freshness: ReplicaFreshness,
  ) {}

  /** The cached response body of a live product; 404 for unknown or deleted ids. */
  async getBody(id: string): Promise<JsonBody> {
    const body = await this.cache.product(id, () => this.loadProduct(id));
    if (!body) throw new NotFoundException(`product ${id} not found`);
    return body;
  }

  /** A live product (through the cache), or null. For other modules (cart, bestsellers). */
  async findById(id: string): Promise<ProductDto | null> {
    const body = await this.cache.product(id, () => this.loadProduct(id));
    return body ? (JSON.parse(body.json) as ProductDto) : null;
  }

  /** The cached body of one list page. */
  list(query: ProductQueryDto): Promise<JsonBody> {
    const normalized = normalizeProductQuery(query);
    return this.cache.list(productQueryKey(normalized), async () =>
      jsonBody(await this.freshness.read((manager) => this.listQuery.run(manager, normalized))),
    );
  }

  /** Cache loader of one product: a single primary read (counted by tests through a spy). */
  async loadProduct(id: string, manager: EntityManager = this.dataSource.manager): Promise<JsonBody | null> {
    const rows = (await manager.query(
      `SELECT ${PRODUCT_COLUMNS}
       FROM catalog.products p JOIN catalog.categories c ON c.id = p.category_id
       WHERE p.id = $1::uuid AND p.deleted_at IS NULL`,
      [id],
    )) as ProductRow[];
    return rows[0] ? jsonBody(toProductView(rows[0])) : null;
  }
}
