import { LuaScript } from '../redis-ops/lua-script.js';
import type { RedisClient } from './connection.js';

/*
 * Lua scripts of the cache-aside miss path. Each touches exactly one key, so they run unchanged on
 * a cluster. They go through LuaScript like every script of the library (EVALSHA, EVAL after a
 * NOSCRIPT), on the client a GuardedRedis.run callback receives.
 */

/** Store only if the entry's head (kind+token, bytes 0..8) is still the one seen before loading; PX 0 = no expiry. */
export const CAS_SET = new LuaScript(`
local h = redis.call('GETRANGE', KEYS[1], 0, 8)
if h ~= ARGV[1] then return 0 end
if ARGV[3] == '0' then redis.call('SET', KEYS[1], ARGV[2]) else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return 1`);

/** Release a lock only if we still own it. */
export const RELEASE = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);

/** Add members to a tag set and make sure the set lives at least as long as its newest entry. */
export const TAG_ADD = new LuaScript(`
redis.call('SADD', KEYS[1], unpack(ARGV, 2))
local t = redis.call('PTTL', KEYS[1])
local want = tonumber(ARGV[1])
if t < want then redis.call('PEXPIRE', KEYS[1], want) end
return 1`);

/** CAS_SET: 1 when `value` was stored with a PX of `px` ms (Infinity: no expiry), 0 when the entry's head is no longer `head`. */
export function casSet(client: RedisClient, key: string, head: string, value: string | Buffer, px: number): Promise<number> {
  return CAS_SET.run(client, [key], [head, value, Number.isFinite(px) ? px : 0]) as Promise<number>;
}

/** RELEASE: 1 when the lock held `token` and was deleted, else 0. */
export function release(client: RedisClient, key: string, token: string): Promise<number> {
  return RELEASE.run(client, [key], [token]) as Promise<number>;
}

/** TAG_ADD: adds `member` to the tag set `key`, whose life becomes at least `ttlMs`. */
export function tagAdd(client: RedisClient, key: string, ttlMs: number, member: string): Promise<number> {
  return TAG_ADD.run(client, [key], [ttlMs, member]) as Promise<number>;
}
