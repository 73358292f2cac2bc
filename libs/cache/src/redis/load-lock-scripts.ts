import { LuaScript } from '../redis-ops/lua-script.js';
import type { RedisClient } from './connection.js';

/*
 * getOrLoad's load lock with a fence. The lock key is per (entry, observed state); the fence key is
 * per entry and names the lock value of the holder that took a load lock on the entry last. A
 * loaded value is stored only while the fence still names its holder (CAS_SET_RELEASE), so a
 * holder that stalled past its lease (GC pause, SIGSTOP, a slow loader) cannot write once another
 * holder has taken over, not even when both expected the same entry head. The lock, the fence and
 * the entry share a hash tag (KeyBuilder.lockFor), so each script stays in one cluster slot.
 */

/** The lock key, its fence key and the value we hold them with. */
export interface HeldLock {
  lockKey: string;
  fenceKey: string;
  token: string;
  /** Set once a script freed the lock and its fence (a store that released them): nothing left to release. */
  freed?: boolean;
}

// SET NX PX the lock; when taken, the fence names us, in the same step (no other holder in between).
const ACQUIRE = new LuaScript(`
if not redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 0 end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
return 1`);

// ACQUIRE, then (when taken) the namespace version and the entry, read in the same step: the
// double-check read a new holder makes anyway (KEYS[3] is the version key, in another slot on a
// cluster: single node only).
const ACQUIRE_READ = new LuaScript(`
if not redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 0 end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
return {redis.call('GET', KEYS[3]), redis.call('GET', KEYS[4])}`);

// Frees the lock and the fence, each only if still ours: a missing fence refuses a stalled holder's
// late store too (e.g. after a takeover whose loader found nothing to store).
const RELEASE = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 1`);

/** True when `lock` was free and is now ours for `leaseMs`; its fence then names us for `fenceMs`. */
export async function acquireLoadLock(client: RedisClient, lock: HeldLock, leaseMs: number, fenceMs: number): Promise<boolean> {
  return (await ACQUIRE.run(client, [lock.lockKey, lock.fenceKey], [lock.token, leaseMs, fenceMs])) === 1;
}

/**
 * acquireLoadLock, reading the namespace version (`versionKey`) and the entry `key` in the same
 * script when the lock is taken: their raw replies, or null when the lock was busy.
 */
export async function acquireLoadLockAndRead(
  client: RedisClient,
  lock: HeldLock,
  leaseMs: number,
  fenceMs: number,
  versionKey: string,
  key: string,
): Promise<[Buffer | null, Buffer | null] | null> {
  const res = await ACQUIRE_READ.runBuffer(client, [lock.lockKey, lock.fenceKey, versionKey, key], [lock.token, leaseMs, fenceMs]);
  if (!Array.isArray(res)) return null;
  return [(res[0] as Buffer | undefined) ?? null, (res[1] as Buffer | undefined) ?? null];
}

/** Frees `lock` and its fence where they are still ours. */
export function releaseLoadLock(client: RedisClient, lock: HeldLock): Promise<unknown> {
  return RELEASE.run(client, [lock.lockKey, lock.fenceKey], [lock.token]);
}
