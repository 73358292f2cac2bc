import { LuaScript } from '@app/cache';

/*
 * The cart's Lua scripts. Every script touches only keys of ONE cart (or, for the stepwise merge,
 * keys under ONE hash tag), so it runs unchanged on a cluster. A script runs atomically: no other
 * command interleaves, which is why every change touching both hashes (quantity + details) is a
 * script. Lua rather than MULTI/EXEC because each change must READ first (current quantity, line
 * count) and decide (stock, limits): MULTI cannot branch on what it read, and WATCH/retry would
 * turn 50 concurrent adds into a retry storm. Quantities only move through HINCRBY or a HSET to a
 * value computed inside the same script.
 *
 * Keys: KEYS[1] = `{cart:<id>}:qty` (productId → quantity), KEYS[2] = `{cart:<id>}:details`
 * (productId → JSON snapshot { name, priceCents, addedAt }, plus the `_updatedAt` field).
 * Sliding expiry: every script that reads or writes a cart PEXPIREs both keys.
 */

const TOUCH = `
local function touch(q, d, ttl)
  redis.call('PEXPIRE', q, ttl)
  redis.call('PEXPIRE', d, ttl)
end
local function flat(q, d)
  return table.concat(q, '\\0') .. '\\1' .. table.concat(d, '\\0')
end
`;

/**
 * A cart comes back as ONE string (flat() above; parsed by parseFlatCart): both hashes' fields and
 * values, NUL-separated, the two hashes apart by \x01. The client decodes one bulk reply instead of
 * two arrays of up to 400 (decoding each element was most of a cart read's client CPU). Neither
 * byte can occur in what the hashes hold: UUIDs, integers, an ISO date and JSON.stringify output
 * (which escapes every control character).
 */
export const CART_FIELD_SEPARATOR = '\x00';
export const CART_HASH_SEPARATOR = '\x01';

/** Consistent snapshot of both hashes (flat) + TTL refresh, one round trip. ARGV: ttlMs. */
export const READ_CART = new LuaScript(`${TOUCH}
local q = redis.call('HGETALL', KEYS[1])
local d = redis.call('HGETALL', KEYS[2])
if #q > 0 or #d > 0 then touch(KEYS[1], KEYS[2], ARGV[1]) end
return flat(q, d)`);

/** Quantities only (for /cart/count) + TTL refresh. ARGV: ttlMs. */
export const COUNT_CART = new LuaScript(`${TOUCH}
local v = redis.call('HVALS', KEYS[1])
if #v > 0 or redis.call('EXISTS', KEYS[2]) == 1 then touch(KEYS[1], KEYS[2], ARGV[1]) end
return v`);

/**
 * Adds to a line. ARGV: productId, delta, stock, lineMax, maxLines, detailsJson, nowIso, ttlMs.
 * Returns {status, current, cart (flat)}: status > 0 the new quantity (and the cart after
 * the change, so a write + read is one round trip); -1 stock exceeded, -2 too many lines, -3 line
 * limit exceeded (nothing changed, no cart returned).
 */
export const ADD_ITEM = new LuaScript(`${TOUCH}
local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local delta = tonumber(ARGV[2])
if cur == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[5]) then return {-2, cur} end
if cur + delta > tonumber(ARGV[3]) then return {-1, cur} end
if cur + delta > tonumber(ARGV[4]) then return {-3, cur} end
local n = redis.call('HINCRBY', KEYS[1], ARGV[1], delta)
if cur == 0 then redis.call('HSET', KEYS[2], ARGV[1], ARGV[6]) end
redis.call('HSET', KEYS[2], '_updatedAt', ARGV[7])
touch(KEYS[1], KEYS[2], ARGV[8])
return {n, cur, flat(redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2]))}`);

/**
 * Sets a line (0 removes it). ARGV: productId, quantity, stock, maxLines, detailsJson, nowIso, ttlMs.
 * Returns {status, current, cart (flat)} like ADD_ITEM (-1 stock, -2 too many lines).
 */
export const SET_ITEM = new LuaScript(`${TOUCH}
local qty = tonumber(ARGV[2])
local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if qty == 0 then
  if cur > 0 then
    redis.call('HDEL', KEYS[1], ARGV[1])
    redis.call('HDEL', KEYS[2], ARGV[1])
    redis.call('HSET', KEYS[2], '_updatedAt', ARGV[6])
    touch(KEYS[1], KEYS[2], ARGV[7])
  end
  return {0, cur, flat(redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2]))}
end
if cur == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) then return {-2, cur} end
if qty > tonumber(ARGV[3]) then return {-1, cur} end
redis.call('HINCRBY', KEYS[1], ARGV[1], qty - cur)
if cur == 0 then redis.call('HSET', KEYS[2], ARGV[1], ARGV[5]) end
redis.call('HSET', KEYS[2], '_updatedAt', ARGV[6])
touch(KEYS[1], KEYS[2], ARGV[7])
return {qty, cur, flat(redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2]))}`);

/** Removes a line. ARGV: productId, nowIso, ttlMs. Returns {1 if it was there else 0, 0, qtyFlat, detailsFlat}. */
export const REMOVE_ITEM = new LuaScript(`${TOUCH}
local removed = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
if removed == 1 then redis.call('HSET', KEYS[2], '_updatedAt', ARGV[2]) end
if removed == 1 or redis.call('EXISTS', KEYS[1]) == 1 then touch(KEYS[1], KEYS[2], ARGV[3]) end
return {removed, 0, flat(redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2]))}`);

/**
 * Takes bought units off their lines (a checkout): each line loses what was bought, and goes when
 * nothing is left; lines added or raised meanwhile keep the rest. ARGV: nowIso, ttlMs, then
 * productId, quantity pairs. Returns the number of lines removed.
 */
export const SUBTRACT_LINES = new LuaScript(`${TOUCH}
local removed = 0
for i = 3, #ARGV, 2 do
  local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0')
  if cur > 0 then
    local left = cur - tonumber(ARGV[i + 1])
    if left > 0 then
      redis.call('HSET', KEYS[1], ARGV[i], left)
    else
      redis.call('HDEL', KEYS[1], ARGV[i])
      redis.call('HDEL', KEYS[2], ARGV[i])
      removed = removed + 1
    end
  end
end
if redis.call('HLEN', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[1], KEYS[2])
else
  redis.call('HSET', KEYS[2], '_updatedAt', ARGV[1])
  touch(KEYS[1], KEYS[2], ARGV[2])
end
return removed`);

/*
 * Merge. apply_lines(g, gdetail, uq, ud, caps, maxLines, now, ttl) adds guest quantities to the
 * user cart: target = max(current, min(current + guest, cap)) where cap = min(stock, lineMax)
 * (a merge never lowers what the user already had), new lines only while the cart has fewer than
 * maxLines. Returns {linesChanged, linesCapped}.
 */
const APPLY_LINES = `
local function apply_lines(g, gdetail, uq, ud, caps, maxLines, now, ttl)
  local lines = redis.call('HLEN', uq)
  local changed, capped = 0, 0
  for i = 1, #g, 2 do
    local pid = g[i]
    local add = tonumber(g[i + 1]) or 0
    local cap = caps[pid] or 0
    local cur = tonumber(redis.call('HGET', uq, pid) or '0')
    local target = math.min(cur + add, cap)
    if target < cur then target = cur end
    if cur == 0 and target > 0 and lines >= maxLines then target = 0 end
    if target < cur + add then capped = capped + 1 end
    if target > cur then
      if cur == 0 then
        lines = lines + 1
        local det = gdetail[pid]
        if det then redis.call('HSETNX', ud, pid, det) end
      end
      redis.call('HINCRBY', uq, pid, target - cur)
      changed = changed + 1
    end
  end
  if changed > 0 then redis.call('HSET', ud, '_updatedAt', now) end
  if redis.call('EXISTS', uq) == 1 then
    redis.call('PEXPIRE', uq, ttl)
    redis.call('PEXPIRE', ud, ttl)
  end
  return {changed, capped}
end

local function to_map(flat)
  local m = {}
  for i = 1, #flat, 2 do m[flat[i]] = flat[i + 1] end
  return m
end
`;

/**
 * Single-node merge, fully atomic: reads the guest cart, adds it to the user cart, deletes the guest
 * cart, in ONE script over both carts' four keys. KEYS: guestQty, guestDetails, userQty, userDetails.
 * ARGV: maxLines, nowIso, userTtlMs, then (productId, cap) pairs. When the guest cart holds a product
 * the caller gave no cap for (a guest add raced the caller's stock lookup) nothing changes and the
 * script answers {-1} so the caller looks up again.
 */
export const MERGE_ATOMIC = new LuaScript(`${APPLY_LINES}
local g = redis.call('HGETALL', KEYS[1])
if #g == 0 then
  redis.call('DEL', KEYS[2])
  return {0, 0, 0}
end
local caps = {}
for i = 4, #ARGV, 2 do caps[ARGV[i]] = tonumber(ARGV[i + 1]) end
for i = 1, #g, 2 do
  if caps[g[i]] == nil then return {-1, 0, 0} end
end
local r = apply_lines(g, to_map(redis.call('HGETALL', KEYS[2])), KEYS[3], KEYS[4], caps, tonumber(ARGV[1]), ARGV[2], ARGV[3])
redis.call('DEL', KEYS[1], KEYS[2])
return {1, r[1], r[2]}`);

/*
 * Cluster merge (the guest and the user cart hash to different slots, and no script may span
 * slots), in three idempotent steps, each one script on one slot:
 *   1. FREEZE (guest slot): RENAME the guest hashes to a hand-off pair under the SAME hash tag and
 *      stamp it with a merge id and the user id. The guest cart's lines are now in exactly one
 *      place; guest writes after this point start a new guest cart (they happened after the merge).
 *      If a hand-off already exists (an earlier merge stopped half way), it is returned instead.
 *   2. APPLY (user slot): add the hand-off's lines to the user cart unless the user's
 *      `{cart:u-…}:merged` marker already holds the merge id; record it in the same script.
 *   3. DROP (guest slot): delete the hand-off if it still carries that merge id.
 * A crash between steps leaves the lines in the hand-off (never lost, never applied twice); the
 * next merge with that token resumes it. See CartStore.mergeStepwise.
 */

/**
 * KEYS: guestQty, guestDetails, handoffQty, handoffDetails. ARGV: mergeId, userId, ttlMs.
 * Returns {state, mergeId, userId, qtyFlat, detailsFlat}; state 'empty' | 'frozen' | 'resume'.
 */
export const MERGE_FREEZE = new LuaScript(`
if redis.call('EXISTS', KEYS[3]) == 1 then
  local id = redis.call('HGET', KEYS[4], '_merge')
  local user = redis.call('HGET', KEYS[4], '_user')
  if not id then
    id = ARGV[1]
    redis.call('HSET', KEYS[4], '_merge', id)
  end
  if not user then
    user = ARGV[2]
    redis.call('HSET', KEYS[4], '_user', user)
  end
  return {'resume', id, user, redis.call('HGETALL', KEYS[3]), redis.call('HGETALL', KEYS[4])}
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[2])
  return {'empty', '', '', {}, {}}
end
redis.call('RENAME', KEYS[1], KEYS[3])
redis.call('DEL', KEYS[4])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('RENAME', KEYS[2], KEYS[4]) end
redis.call('HSET', KEYS[4], '_merge', ARGV[1], '_user', ARGV[2])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
redis.call('PEXPIRE', KEYS[4], ARGV[3])
return {'frozen', ARGV[1], ARGV[2], redis.call('HGETALL', KEYS[3]), redis.call('HGETALL', KEYS[4])}`);

/**
 * KEYS: userQty, userDetails, userMergedMarker. ARGV: mergeId, maxLines, nowIso, userTtlMs,
 * markerTtlMs, then (productId, quantity, cap, detailsJson) quadruples.
 * Returns {applied (1) or already applied (0), linesChanged, linesCapped}.
 */
export const MERGE_APPLY = new LuaScript(`${APPLY_LINES}
if redis.call('HEXISTS', KEYS[3], ARGV[1]) == 1 then return {0, 0, 0} end
local g, caps, details = {}, {}, {}
for i = 6, #ARGV, 4 do
  g[#g + 1] = ARGV[i]
  g[#g + 1] = ARGV[i + 1]
  caps[ARGV[i]] = tonumber(ARGV[i + 2])
  if ARGV[i + 3] ~= '' then details[ARGV[i]] = ARGV[i + 3] end
end
local r = apply_lines(g, details, KEYS[1], KEYS[2], caps, tonumber(ARGV[2]), ARGV[3], ARGV[4])
redis.call('HSET', KEYS[3], ARGV[1], '1')
redis.call('PEXPIRE', KEYS[3], ARGV[5])
return {1, r[1], r[2]}`);

/** KEYS: handoffQty, handoffDetails. ARGV: mergeId. Deletes the hand-off only if it is that merge's. */
export const MERGE_DROP = new LuaScript(`
local id = redis.call('HGET', KEYS[2], '_merge')
if id and id ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1], KEYS[2])`);
