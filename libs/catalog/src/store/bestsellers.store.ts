import { Injectable } from '@nestjs/common';
import { CacheService, LuaScript } from '@app/cache';
import type { SalesTotal } from '../repositories/product-sales.repository.js';

// Publishes durable totals: each is applied only when its version is newer than the one already
// published, so totals committed concurrently may arrive in any order and the ranking still ends
// at the newest. A total of 0 or less leaves the ranking.
const PUBLISH = new LuaScript(`
for i = 1, #ARGV, 3 do
  local product, units, version = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  local seen = tonumber(redis.call('HGET', KEYS[2], product) or '-1')
  if version > seen then
    redis.call('HSET', KEYS[2], product, version)
    if units > 0 then redis.call('ZADD', KEYS[1], units, product) else redis.call('ZREM', KEYS[1], product) end
  end
end
return 1`);

/**
 * The bestseller ranking in Redis: a sorted set of units per product and the version of each
 * published total (`{prefix}:{catalog:bestsellers}:units|versions`; one hash tag, one cluster slot).
 * Rebuilt from Postgres whenever it is lost.
 */
@Injectable()
export class BestsellersStore {
  private readonly keys: [string, string];

  constructor(private readonly cache: CacheService) {
    this.keys = [cache.keys.hashTagged('catalog', 'bestsellers', 'units'), cache.keys.hashTagged('catalog', 'bestsellers', 'versions')];
  }

  /** Throws when Redis is unreachable. */
  async publish(totals: readonly SalesTotal[]): Promise<void> {
    if (totals.length === 0) return;
    const args: (string | number)[] = [];
    for (const t of totals) args.push(t.productId, t.units, t.version);
    await PUBLISH.run(this.cache.client, this.keys, args);
  }

  /** Top product ids with units sold, best first; throws when Redis is unreachable. */
  async top(count: number): Promise<{ productId: string; unitsSold: number }[]> {
    const flat = await this.cache.client.zrevrange(this.keys[0], 0, count - 1, 'WITHSCORES');
    const out: { productId: string; unitsSold: number }[] = [];
    for (let i = 0; i < flat.length; i += 2) out.push({ productId: flat[i]!, unitsSold: Number(flat[i + 1]) });
    return out;
  }

  async remove(productId: string): Promise<void> {
    await this.cache.client.zrem(this.keys[0], productId);
  }
}
