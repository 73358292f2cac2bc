import { Injectable } from '@nestjs/common';
import { CacheService } from '@app/cache';
import { jsonBody, type JsonBody } from '../http/etag.js';
import { ProductReader } from './product-reader.service.js';

export interface SoldItem {
  productId: string;
  quantity: number;
}

// Counts a sale once: the marker key makes a redelivered outbox event a no-op.
const RECORD_SALE = `
if ARGV[1] ~= '' then
  if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2]) == false then return 0 end
end
for i = 3, #ARGV, 2 do redis.call('ZINCRBY', KEYS[1], ARGV[i + 1], ARGV[i]) end
return 1`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SALE_MARKER_TTL_MS = 7 * 24 * 3600 * 1000;

type Scripted = { catalogRecordSale(units: string, marker: string, ...args: (string | number)[]): Promise<number> };

/**
 * Units sold per product, in a Redis sorted set (`{prefix}:{catalog:bestsellers}:units`; the hash
 * tag keeps it and the sale markers in one cluster slot). The orders module calls recordSale()
 * (from its outbox handler, with the order id as saleId so a retried event counts once).
 */
@Injectable()
export class BestsellersService {
  private readonly unitsKey: string;

  constructor(
    private readonly cache: CacheService,
    private readonly products: ProductReader,
  ) {
    this.unitsKey = cache.keys.hashTagged('catalog', 'bestsellers', 'units');
    cache.client.defineCommand('catalogRecordSale', { numberOfKeys: 2, lua: RECORD_SALE });
  }

  /**
   * Adds sold units. Throws when Redis is unreachable (the caller's job retries); with `saleId`,
   * a repeated call for the same sale is ignored. Resolves false when it was a repeat.
   */
  async recordSale(items: readonly SoldItem[], saleId?: string): Promise<boolean> {
    const args: (string | number)[] = [saleId ?? '', SALE_MARKER_TTL_MS];
    for (const item of items) if (item.quantity > 0) args.push(item.productId, item.quantity);
    const marker = this.cache.keys.hashTagged('catalog', 'bestsellers', 'sale', saleId ?? '-');
    const applied = await (this.cache.client as unknown as Scripted).catalogRecordSale(this.unitsKey, marker, ...args);
    return applied === 1;
  }

  /**
   * GET /products/bestsellers: live products by units sold, each read through the product cache
   * (so a product write shows here at once); deleted products are skipped.
   */
  async body(limit: number): Promise<JsonBody> {
    const ranked = (await this.top(limit + 20)).filter((r) => UUID.test(r.productId));
    const products = await Promise.all(ranked.map((r) => this.products.findById(r.productId)));
    const items = [];
    for (let i = 0; i < ranked.length && items.length < limit; i++) {
      const product = products[i];
      if (product) items.push({ ...product, unitsSold: ranked[i]!.unitsSold });
    }
    return jsonBody(items);
  }

  /** Top product ids with units sold, best first (empty when Redis is unreachable). */
  async top(count: number): Promise<{ productId: string; unitsSold: number }[]> {
    try {
      const flat = await this.cache.client.zrevrange(this.unitsKey, 0, count - 1, 'WITHSCORES');
      const out: { productId: string; unitsSold: number }[] = [];
      for (let i = 0; i < flat.length; i += 2) out.push({ productId: flat[i]!, unitsSold: Number(flat[i + 1]) });
      return out;
    } catch {
      return [];
    }
  }

  /** A deleted product leaves the ranking. */
  async forget(productId: string): Promise<void> {
    await this.cache.client.zrem(this.unitsKey, productId).catch(() => undefined);
  }
}
