import type { RedisClient } from '../redis/connection.js';
import { failFast } from '../redis-ops/fail-fast.js';
import { LuaScript } from '../redis-ops/lua-script.js';
import { majority, quorum } from './quorum.js';

// INCR that tolerates a missing key; tokens never expire (an expired counter would restart at 1).
const NEXT = new LuaScript(`return redis.call('INCR', KEYS[1])`);
// Raise the counter to at least ARGV[1]; never lowers it.
const RAISE = new LuaScript(`
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local floor = tonumber(ARGV[1])
if current < floor then redis.call('SET', KEYS[1], floor) return floor end
return current
`);

/**
 * Fencing tokens: one counter per resource, on every lock node. Lock nodes should persist (AOF) or
 * stay down for longer than the longest lease after a crash: if a majority restarts empty, both the
 * locks and the tokens start over (the usual Redlock caveat).
 *
 * Why strictly increasing across holders, even with a quorum and several resources: the previous
 * holder raised a majority of each of its resources' counters to its token; our INCR on a majority
 * of the same counters meets at least one of those nodes, so our value is larger; we then raise a
 * majority of all our counters to our (max) token for the next holder. Each counter is a single key
 * per script call, so this works on a Cluster without hash tags.
 */
export class FencingTokens {
  private readonly needed: number;

  constructor(
    private readonly clients: readonly RedisClient[],
    private readonly timeoutMs: number,
  ) {
    this.needed = majority(clients.length);
  }

  async next(tokenKeys: readonly string[]): Promise<number> {
    const drawn = await Promise.all(tokenKeys.map((key) => this.onQuorum(NEXT, key, [])));
    const token = Math.max(...drawn.flat());
    // One node and one resource: INCR alone is already the token everyone else will exceed.
    if (this.clients.length > 1 || tokenKeys.length > 1) {
      await Promise.all(tokenKeys.map((key) => this.onQuorum(RAISE, key, [token])));
    }
    return token;
  }

  private onQuorum(script: LuaScript, key: string, args: (string | number)[]): Promise<number[]> {
    return quorum(
      this.clients.map((client) => failFast(client, async () => Number(await script.run(client, [key], args)), this.timeoutMs)),
      this.needed,
    );
  }
}
