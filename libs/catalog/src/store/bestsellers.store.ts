import { Injectable } from '@nestjs/common';
import { CacheService, LuaScript } from '@app/cache';
import type { SalesTotal } from '../repositories/product-sales.repository.js';

// Publishes durable totals: each is applied only when its version is newer than the one already
// published, so totals committed concurrently may arrive in any order and the ranking still ends
// at the newest. A total of 0 or less leaves the ranking.
// A rebuild (ARGV[1] = '1') also writes totals of the version already seen (their ranking entry
// may be what was lost) and marks the ranking complete.
// A member of the ranking itself (score -1, below every product): it goes with the sorted set when
// that is lost (flush, eviction, deletion), so a ranking rebuilt only partly by new sales is
// recognized as incomplete.
const COMPLETE = '~complete';

const PUBLISH = new LuaScript(`
local rebuild = ARGV[1] == '1'
for i = 2, #ARGV, 3 do
  local product, units, version = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  local seen = tonumber(redis.call('HGET', KEYS[2], product) or '-1')
  if version > seen or (rebuild and version == seen) then
    redis.call('HSET', KEYS[2], product, version)
    if units > 0 then redis.call('ZADD', KEYS[1], units, product) else redis.call('ZREM', KEYS[1], product) end
  end
end
if rebuild then redis.call('ZADD', KEYS[1], -1, '${COMPLETE}') end
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

  /** New totals (newer versions only). Throws when Redis is unreachable. */
  async publish(totals: readonly SalesTotal[]): Promise<void> {
    if (totals.length) await this.write(totals, false);
  }

  /** Every total of the ranking, from the durable source: the ranking is then complete again. */
  async rebuild(totals: readonly SalesTotal[]): Promise<void> {
    await this.write(totals, true);
  }

  /**
   * Top product ids with units sold, best first, and whether the ranking is complete (false after
   * it was lost: the caller then reads the durable totals). Throws when Redis is unreachable.
   */
  async top(count: number): Promise<{ complete: boolean; ranked: { productId: string; unitsSold: number }[] }> {
    const [flat, marker] = await Promise.all([
      this.cache.client.zrevrange(this.keys[0], 0, count - 1, 'WITHSCORES'),
      this.cache.client.zscore(this.keys[0], COMPLETE),
    ]);
    const ranked: { productId: string; unitsSold: number }[] = [];
    for (let i = 0; i < flat.length; i += 2) if (flat[i] !== COMPLETE) ranked.push({ productId: flat[i], unitsSold: Number(flat[i + 1]) });
    return { complete: marker !== null, ranked };
  }

  private async write(totals: readonly SalesTotal[], rebuild: boolean): Promise<void> {
    const args: (string | number)[] = [rebuild ? '1' : '0'];
    for (const t of totals) args.push(t.productId, t.units, t.version);
    await PUBLISH.run(this.cache.client, this.keys, args);
  }

  async remove(productId: string): Promise<void> {
    await this.cache.client.zrem(this.keys[0], productId);
  }
}
