import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { ProductDto } from '../dto/product.dto.js';
import type { JsonBody } from '../http/etag.js';
import { CatalogCache } from './catalog-cache.service.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What other modules (the cart) need of a live product. */
export interface ProductSummary {
  id: string;
  name: string;
  priceCents: number;
  currency: string;
  stock: number;
}

interface SummaryRow {
  id: string;
  name: string;
  price_cents: number;
  currency: string;
  stock: number;
}

/**
 * Batched product reads for other modules: one cache round trip (MGET through the products
 * namespace, L1 first) for every id, then ONE primary query for the misses. Unknown and deleted
 * ids are simply absent from the result.
 *
 * Misses are not written back to the cache on purpose: a plain set could put back a value older
 * than a concurrent catalog write's invalidation; ProductReader's single-key loads (compare-and-set
 * against the entry head) stay the only writers of product entries.
 */
@Injectable()
export class ProductLookup {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cache: CatalogCache,
  ) {}

  async findMany(ids: readonly string[]): Promise<Map<string, ProductSummary>> {
    // Only well-formed ids reach the cache and the ::uuid[] cast (anything else is simply unknown).
    const unique = [...new Set(ids)].filter((id) => UUID.test(id));
    const out = new Map<string, ProductSummary>();
    if (unique.length === 0) return out;
    const cached = await this.cache.products.mget<JsonBody | null>(unique);
    const misses: string[] = [];
    unique.forEach((id, i) => {
      const body = cached[i];
      if (body) out.set(id, summaryOf(JSON.parse(body.json) as ProductDto));
      else misses.push(id);
    });
    if (misses.length) {
      const rows = (await this.dataSource.query(
        `SELECT p.id, p.name, p.price_cents, p.currency, p.stock
         FROM catalog.products p
         WHERE p.id = ANY($1::uuid[]) AND p.deleted_at IS NULL`,
        [misses],
      )) as SummaryRow[];
      for (const r of rows) {
        out.set(r.id, { id: r.id, name: r.name, priceCents: Number(r.price_cents), currency: r.currency.trim(), stock: Number(r.stock) });
      }
    }
    return out;
  }

  /** One product (same path as findMany). */
  async findOne(id: string): Promise<ProductSummary | null> {
    return (await this.findMany([id])).get(id) ?? null;
  }
}

function summaryOf(p: ProductDto): ProductSummary {
  return { id: p.id, name: p.name, priceCents: p.priceCents, currency: p.currency, stock: p.stock };
}
