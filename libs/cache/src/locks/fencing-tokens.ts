import type { RedisClient } from '../redis/connection.js';
import { failFast } from '../redis-ops/fail-fast.js';
import { LuaScript } from '../redis-ops/lua-script.js';
import { majority, quorum } from './quorum.js';

// The next token, only while KEYS[1] (the lock) still holds our value: a holder whose lease ran out
// before it drew its token gets none, so it can never hold a token above the next holder's. Tokens
// never expire (an expired counter would restart at 1). Lock and counter share a hash slot.
const NEXT = new LuaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
return redis.call('INCR', KEYS[2])`);
// Raise the counter to at least ARGV[1]; never lowers it.
const RAISE = new LuaScript(`
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local floor = tonumber(ARGV[1])
if current < floor then redis.call('SET', KEYS[1], floor) return floor end
return current
`);

/** A lock node no longer holds our lock value: the lease ran out before the token was drawn. */
export class LockNotHeldError extends Error {
  constructor() {
    super('the lock is no longer held');
    this.name = 'LockNotHeldError';
  }
}

/** One resource's lock key, the value we hold it with, and its token counter. */
export interface FencedLock {
  lockKey: string;
  value: string;
  tokenKey: string;
}

/**
 * Fencing tokens: one counter per resource, on every lock node. Lock nodes should persist (AOF) or
 * stay down for longer than the longest lease after a crash: if a majority restarts empty, both the
 * locks and the tokens start over (the usual Redlock caveat).
 *
 * Why strictly increasing across holders, even with a quorum and several resources: the previous
 * holder raised a majority of each of its resources' counters to its token; our INCR on a majority
 * of the same counters meets at least one of those nodes, so our value is larger; we then raise a
 * majority of all our counters to our (max) token for the next holder. Each counter is a single key
 * per script call plus its lock key, in the same hash slot, so this works on a Cluster.
 *
 * A token is drawn in the same script that checks the lock is still ours (NEXT): drawing it after
 * the lock was taken, unchecked, would let a holder that stalled past its lease draw a token above
 * the one of the holder that took over.
 */
export class FencingTokens {
  private readonly needed: number;

  constructor(
    private readonly clients: readonly RedisClient[],
    private readonly timeoutMs: number,
  ) {
    this.needed = majority(clients.length);
  }

  /** The token for holding every lock in `locks`; rejects with LockNotHeldError when a lease ran out first. */
  async next(locks: readonly FencedLock[]): Promise<number> {
    const drawn = await Promise.all(locks.map((l) => this.onQuorum(NEXT, [l.lockKey, l.tokenKey], [l.value])));
    const token = Math.max(...drawn.flat());
    // One node and one resource: INCR alone is already the token everyone else will exceed.
    if (this.clients.length > 1 || locks.length > 1) {
      await Promise.all(locks.map((l) => this.onQuorum(RAISE, [l.tokenKey], [token])));
    }
    return token;
  }

  private async onQuorum(script: LuaScript, keys: string[], args: (string | number)[]): Promise<number[]> {
    const calls = this.clients.map((client) =>
      failFast(
        client,
        async () => {
          const n = Number(await script.run(client, keys, args));
          if (n < 0) throw new LockNotHeldError();
          return n;
        },
        this.timeoutMs,
      ),
    );
    try {
      return await quorum(calls, this.needed);
    } catch (error) {
      // A quorum that answered "not ours" is a lost lease, not an outage.
      if (error instanceof AggregateError && error.errors.filter((e) => e instanceof LockNotHeldError).length >= this.needed) {
        throw new LockNotHeldError();
      }
      throw error;
    }
  }
}
