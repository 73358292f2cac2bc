import { LuaScript } from '../redis-ops/lua-script.js';
import type { RedisClient } from './connection.js';
import type { HeldLock } from './load-lock-scripts.js';

/*
 * Lua scripts of the cache-aside miss path. Each touches one key (CAS_SET_RELEASE also the entry's
 * load lock and fence, hash-tagged into the entry's slot), so they run unchanged on a cluster. They go through
 * LuaScript like every script of the library (EVALSHA, EVAL after a NOSCRIPT), on the client a
 * GuardedRedis.run callback receives.
 */

/**
 * Store only if the entry's head (kind+token, bytes 0..8) is still the one seen before loading.
 * PX 0 = no expiry. A load under a lock stores with CAS_SET_RELEASE instead. The entry is ARGV[2]
 * followed by ARGV[4] when given (its header and the encoded value, joined here: see casSet).
 */
export const CAS_SET = new LuaScript(`
local h = redis.call('GETRANGE', KEYS[1], 0, 8)
if h ~= ARGV[1] then return 0 end
local v = ARGV[2]
if ARGV[4] then v = v .. ARGV[4] end
if ARGV[3] == '0' then redis.call('SET', KEYS[1], v) else redis.call('SET', KEYS[1], v, 'PX', ARGV[3]) end
return 1`);

/**
 * CAS_SET under a held load lock: stored only while the entry's load fence still names our lock
 * (ARGV[4], see load-lock-scripts.ts), and the lock is then freed in the same step (saving the
 * release's round trip). KEYS [entry, fence, lock]. The lock and the fence are deleted only while
 * they still name our token, whether or not the value was stored, as RELEASE does. The entry is
 * ARGV[2] followed by ARGV[5] when given (as CAS_SET's ARGV[4]).
 */
export const CAS_SET_RELEASE = new LuaScript(`
local stored = 0
if redis.call('GET', KEYS[2]) == ARGV[4] and redis.call('GETRANGE', KEYS[1], 0, 8) == ARGV[1] then
  local v = ARGV[2]
  if ARGV[5] then v = v .. ARGV[5] end
  if ARGV[3] == '0' then redis.call('SET', KEYS[1], v) else redis.call('SET', KEYS[1], v, 'PX', ARGV[3]) end
  stored = 1
end
if redis.call('GET', KEYS[3]) == ARGV[4] then redis.call('DEL', KEYS[3]) end
if redis.call('GET', KEYS[2]) == ARGV[4] then redis.call('DEL', KEYS[2]) end
return stored`);

/** Add members to a tag set and make sure the set lives at least as long as its newest entry. */
export const TAG_ADD = new LuaScript(`
redis.call('SADD', KEYS[1], unpack(ARGV, 2))
local t = redis.call('PTTL', KEYS[1])
local want = tonumber(ARGV[1])
if t < want then redis.call('PEXPIRE', KEYS[1], want) end
return 1`);

/*
 * Namespace versions are taken from the server clock (microseconds, TIME): a version key that was
 * evicted comes back as a value no entry ever carried, instead of restarting at a number that old
 * entries match. A bump is max(current + 1, now), so versions only grow. '%.0f' keeps the 16 digits
 * exact (Lua's tostring would print 1.7e+15).
 */

/** The namespace version, created from the server clock when the key does not exist. */
export const NS_VERSION_ENSURE = new LuaScript(`
local v = redis.call('GET', KEYS[1])
if v then return v end
local t = redis.call('TIME')
v = string.format('%.0f', tonumber(t[1]) * 1000000 + tonumber(t[2]))
redis.call('SET', KEYS[1], v)
return v`);

/** Moves the namespace version past every earlier one: max(current + 1, server clock in µs). */
export const NS_VERSION_BUMP = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
local v = string.format('%.0f', math.max(cur + 1, now))
redis.call('SET', KEYS[1], v)
return v`);

/** NS_VERSION_ENSURE: the version of the namespace whose version key is `key` (created if missing). */
export async function ensureNamespaceVersion(client: RedisClient, key: string): Promise<number> {
  return Number(await NS_VERSION_ENSURE.run(client, [key]));
}

/** NS_VERSION_BUMP: the namespace's new version. */
export async function bumpNamespaceVersion(client: RedisClient, key: string): Promise<number> {
  return Number(await NS_VERSION_BUMP.run(client, [key]));
}

/**
 * Logical expiry: the entry stays (for its grace period, staleFor) but is no longer fresh: its
 * freshUntil becomes 0, and its token changes, so a load that started before cannot store over it
 * with an older value. The entry's remaining PTTL is kept. 0 when there is no value entry.
 */
export const EXPIRE_LOGICALLY = new LuaScript(`
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local kind = string.sub(v, 1, 1)
if kind ~= 'V' and kind ~= 'N' then return 0 end
local i2 = string.find(v, '|', 11, true)
if not i2 then return 0 end
local i3 = string.find(v, '|', i2 + 1, true)
if not i3 then return 0 end
local nv = kind .. ARGV[1] .. string.sub(v, 10, i2) .. '0' .. string.sub(v, i3)
local pttl = redis.call('PTTL', KEYS[1])
if pttl > 0 then redis.call('SET', KEYS[1], nv, 'PX', pttl) else redis.call('SET', KEYS[1], nv) end
return 1`);

/** EXPIRE_LOGICALLY with a new 8-character token: 1 when the entry was there. */
export function expireLogically(client: RedisClient, key: string, token: string): Promise<number> {
  return EXPIRE_LOGICALLY.run(client, [key], [token]) as Promise<number>;
}

/**
 * CAS_SET: stores `value` (+ `body`, appended by the script) with a PX of `px` ms (Infinity: no
 * expiry): 1 when stored, 0 when the entry's head is no longer `head`. The header and a large
 * encoded value go as two arguments: joined here, the value's text would be copied into a new
 * string, then again into the command ioredis builds from it.
 */
export function casSet(
  client: RedisClient,
  key: string,
  head: string,
  value: string | Buffer,
  px: number,
  body?: string | Buffer,
): Promise<number> {
  const ttl = Number.isFinite(px) ? px : 0;
  return CAS_SET.run(client, [key], body === undefined ? [head, value, ttl] : [head, value, ttl, body]) as Promise<number>;
}

/**
 * casSet under the held load `lock`, freeing it (and its fence) in the same script: 1 when stored.
 * The lock is marked freed once the script ran, so LoadLock.release sends nothing more.
 */
export async function casSetAndRelease(
  client: RedisClient,
  key: string,
  head: string,
  value: string | Buffer,
  px: number,
  lock: HeldLock,
  body?: string | Buffer,
): Promise<number> {
  const ttl = Number.isFinite(px) ? px : 0;
  const args = body === undefined ? [head, value, ttl, lock.token] : [head, value, ttl, lock.token, body];
  const stored = (await CAS_SET_RELEASE.run(client, [key, lock.fenceKey, lock.lockKey], args)) as number;
  lock.freed = true;
  return stored;
}

/** TAG_ADD: adds `member` to the tag set `key`, whose life becomes at least `ttlMs`. */
export function tagAdd(client: RedisClient, key: string, ttlMs: number, member: string): Promise<number> {
  return TAG_ADD.run(client, [key], [ttlMs, member]) as Promise<number>;
}
