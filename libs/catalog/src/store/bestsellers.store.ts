import { Injectable } from '@nestjs/common';
import { CacheService, LuaScript } from '@app/cache';
import type { SoldItem } from '../catalog.types.js';

// Counts a sale once: the marker key makes a redelivered event a no-op.
const RECORD_SALE = new LuaScript(`
if ARGV[1] ~= '' then
  if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2]) == false then return 0 end
end
for i = 3, #ARGV, 2 do redis.call('ZINCRBY', KEYS[1], ARGV[i + 1], ARGV[i]) end
return 1`);

const SALE_MARKER_TTL_MS = 7 * 24 * 3600 * 1000;

/**
 * Units sold per product, in a Redis sorted set (`{prefix}:{catalog:bestsellers}:units`; the hash
 * tag keeps it and the sale markers in one cluster slot).
 */
@Injectable()
export class BestsellersStore {
  private readonly unitsKey: string;

  constructor(private readonly cache: CacheService) {
    this.unitsKey = cache.keys.hashTagged('catalog', 'bestsellers', 'units');
  }

  /** Adds the units; with `saleId`, a repeat of the same sale is ignored (resolves false). Throws when Redis is unreachable. */
  async record(items: readonly SoldItem[], saleId?: string): Promise<boolean> {
    const args: (string | number)[] = [saleId ?? '', SALE_MARKER_TTL_MS];
    for (const item of items) if (item.quantity > 0) args.push(item.productId, item.quantity);
    const marker = this.cache.keys.hashTagged('catalog', 'bestsellers', 'sale', saleId ?? '-');
    return (await RECORD_SALE.run(this.cache.client, [this.unitsKey, marker], args)) === 1;
  }

  /** Top product ids with units sold, best first; throws when Redis is unreachable. */
  async top(count: number): Promise<{ productId: string; unitsSold: number }[]> {
    const flat = await this.cache.client.zrevrange(this.unitsKey, 0, count - 1, 'WITHSCORES');
    const out: { productId: string; unitsSold: number }[] = [];
    for (let i = 0; i < flat.length; i += 2) out.push({ productId: flat[i]!, unitsSold: Number(flat[i + 1]) });
    return out;
  }

  async remove(productId: string): Promise<void> {
    await this.cache.client.zrem(this.unitsKey, productId);
  }
}
