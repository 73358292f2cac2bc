import type { RedisClient } from './connection.js';

/*
 * Lua scripts of the cache hot paths. Each touches exactly one key, so they run unchanged on a
 * cluster. Sent with EVALSHA, falling back to EVAL once per node after a NOSCRIPT.
 */

/** Store only if the entry's head (kind+token, bytes 0..8) is still the one seen before loading. */
const CAS_SET = `
local h = redis.call('GETRANGE', KEYS[1], 0, 8)
if h ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`;

/** Release a lock only if we still own it. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Add members to a tag set and make sure the set lives at least as long as its newest entry. */
const TAG_ADD = `
redis.call('SADD', KEYS[1], unpack(ARGV, 2))
local t = redis.call('PTTL', KEYS[1])
local want = tonumber(ARGV[1])
if t < want then redis.call('PEXPIRE', KEYS[1], want) end
return 1`;

export interface CacheScripts {
  cacheCasSet(key: string, head: string, value: string | Buffer, px: number): Promise<number>;
  cacheRelease(key: string, token: string): Promise<number>;
  cacheTagAdd(key: string, ttlMs: number, ...members: string[]): Promise<number>;
}

const installed = new WeakSet<object>();

/** Defines the scripts on the client once; returns the client typed with them. */
export function withScripts(client: RedisClient): RedisClient & CacheScripts {
  if (!installed.has(client)) {
    client.defineCommand('cacheCasSet', { numberOfKeys: 1, lua: CAS_SET });
    client.defineCommand('cacheRelease', { numberOfKeys: 1, lua: RELEASE });
    client.defineCommand('cacheTagAdd', { numberOfKeys: 1, lua: TAG_ADD });
    installed.add(client);
  }
  return client as RedisClient & CacheScripts;
}
