import { Injectable } from '@nestjs/common';
import { CacheService, LuaScript } from '@app/cache';

// max(stored, ARGV[1]) for fixed-width upper-case 'XXXXXXXX/XXXXXXXX' LSNs (string order = LSN order).
const SET_MAX = new LuaScript(`
local cur = redis.call('GET', KEYS[1])
if (not cur) or ARGV[1] > cur then redis.call('SET', KEYS[1], ARGV[1]) return 1 end
return 0`);

/**
 * The primary's WAL position at the last catalog commit, in Redis next to the `product-lists`
 * namespace version (`{prefix}:_lsn:product-lists:commit`), only ever raised.
 */
@Injectable()
export class CommitLsnStore {
  private readonly key: string;

  constructor(private readonly cache: CacheService) {
    this.key = cache.keys.internal('lsn', 'product-lists', 'commit');
  }

  /** The stored LSN, null when none is stored; throws when Redis is unreachable. */
  get(): Promise<string | null> {
    return this.cache.client.get(this.key);
  }

  /** Raises the stored LSN to `lsn` (a lower one changes nothing); throws when Redis is unreachable. */
  async raise(lsn: string): Promise<void> {
    await SET_MAX.run(this.cache.client, [this.key], [lsn]);
  }
}
