import { LuaScript } from '../redis-ops/lua-script.js';
import type { RedisClient } from './connection.js';

/*
 * Tag versions, for O(1) tag invalidation. A tag's version key holds `{c}:{h}`: c moves on every
 * invalidation of the tag, h on every hard one, both in µs of the server clock (TIME) and only
 * upwards (max(c + 1, now)), like the namespace versions of scripts.ts. An entry keeps the c it
 * read before loading; a later c makes it stale, a later h (or a missing key) makes it dead. A key
 * that was evicted comes back with c = h = now: every entry stamped before is dead, as it must be
 * (its invalidations are lost). One key per script: they run unchanged on a cluster.
 */

/** The tag's version, created (c = h = server now) when missing. */
export const TAG_VERSION_ENSURE = new LuaScript(`
local v = redis.call('GET', KEYS[1])
if v then return v end
local t = redis.call('TIME')
local now = string.format('%.0f', tonumber(t[1]) * 1000000 + tonumber(t[2]))
v = now .. ':' .. now
redis.call('SET', KEYS[1], v)
return v`);

/** Invalidates the tag: c = max(c + 1, now); h too when ARGV[1] is '1' (hard) or the key was missing. */
export const TAG_VERSION_BUMP = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local v = redis.call('GET', KEYS[1])
local c, h = 0, 0
local i = v and string.find(v, ':', 1, true)
if i then
  c = tonumber(string.sub(v, 1, i - 1)) or 0
  h = tonumber(string.sub(v, i + 1)) or 0
end
local n = math.max(c + 1, now)
if ARGV[1] == '1' or not i then h = n end
v = string.format('%.0f:%.0f', n, h)
redis.call('SET', KEYS[1], v)
return v`);

/** A tag's version as stored: c = last invalidation, h = last hard invalidation (µs, server clock). */
export interface TagState {
  readonly c: number;
  readonly h: number;
}

/** The state of a raw `{c}:{h}` reply; null for a missing (or foreign) key, which kills every stamp. */
export function parseTagState(raw: string | Buffer | null | undefined): TagState | null {
  if (raw === null || raw === undefined) return null;
  const s = typeof raw === 'string' ? raw : raw.toString('latin1');
  const i = s.indexOf(':');
  if (i <= 0) return null;
  const c = Number(s.slice(0, i));
  const h = Number(s.slice(i + 1));
  return Number.isFinite(c) && Number.isFinite(h) ? { c, h } : null;
}

export async function ensureTagVersion(client: RedisClient, key: string): Promise<TagState | null> {
  return parseTagState((await TAG_VERSION_ENSURE.run(client, [key])) as string);
}

export async function bumpTagVersion(client: RedisClient, key: string, hard: boolean): Promise<TagState | null> {
  return parseTagState((await TAG_VERSION_BUMP.run(client, [key], [hard ? '1' : '0'])) as string);
}
