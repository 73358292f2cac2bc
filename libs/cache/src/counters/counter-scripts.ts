import { LuaScript } from '../redis-ops/lua-script.js';

/**
 * INCRBY plus expiry in one step: the TTL is set when the counter has none (it was just created,
 * or it was created without one), so a window counter cannot be left immortal by a crash between
 * INCRBY and PEXPIRE. Returns the new value.
 */
export const INCR_WITH_TTL = new LuaScript(`
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return value
`);

/**
 * Decrement by ARGV[1] unless the result would fall below ARGV[2]. Returns {1, new value} or
 * {0, current value}. A missing counter counts as 0. The key keeps its TTL (DECRBY does).
 */
export const DECREMENT_BOUNDED = new LuaScript(`
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local by = tonumber(ARGV[1])
if current - by < tonumber(ARGV[2]) then return {0, current} end
return {1, redis.call('DECRBY', KEYS[1], by)}
`);
