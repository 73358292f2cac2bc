/**
 * The only file that knows redlock. It turns redlock's quorum votes into three outcomes the rest
 * of the lock code understands: ok, busy/lost (a quorum answered "held by someone else") and
 * unavailable (too few nodes answered at all).
 */
import Redlock, { ExecutionError, ResourceLockedError, type Lock, type RedlockClient } from 'redlock';
import type { RedisClient } from '../redis/connection.js';
import { failFast } from '../redis-ops/fail-fast.js';

export type HeldLock = Lock;

export type AcquireOutcome = { ok: true; lock: HeldLock } | { ok: false; reason: 'busy' | 'unavailable'; detail: string };
export type ExtendOutcome = { ok: true; lock: HeldLock } | { ok: false; reason: 'lost' | 'unavailable'; detail: string };

/**
 * Redlock calls client.evalsha/eval and waits for every vote. We hand it a thin client that fails
 * fast (status check + deadline), so a dead node votes "against" at once instead of after
 * ioredis' retries, and a quorum decision is never held up by it.
 */
function failFastClient(client: RedisClient, timeoutMs: number): RedlockClient {
  return {
    evalsha: (sha, numKeys, args) => failFast(client, () => client.evalsha(sha, numKeys, ...args), timeoutMs),
    eval: (script, numKeys, args) => failFast(client, () => client.eval(script, numKeys, ...args), timeoutMs),
  };
}

export class RedlockDriver {
  private readonly redlock: Redlock;

  constructor(clients: readonly RedisClient[], opts: { driftFactor: number; timeoutMs: number }) {
    this.redlock = new Redlock(
      clients.map((c) => failFastClient(c, opts.timeoutMs)),
      // We run our own retry loop (bounded by `wait`), so redlock tries exactly once per call.
      { driftFactor: opts.driftFactor, retryCount: 0, retryDelay: 0, retryJitter: 0, automaticExtensionThreshold: 0 },
    );
  }

  async acquire(keys: string[], ttl: number): Promise<AcquireOutcome> {
    try {
      return { ok: true, lock: await this.redlock.acquire(keys, ttl) };
    } catch (error) {
      const verdict = await classify(error);
      return { ok: false, reason: verdict.held ? 'busy' : 'unavailable', detail: verdict.detail };
    }
  }

  async extend(lock: HeldLock, ttl: number): Promise<ExtendOutcome> {
    try {
      return { ok: true, lock: await lock.extend(ttl) };
    } catch (error) {
      const verdict = await classify(error);
      return { ok: false, reason: verdict.held ? 'lost' : 'unavailable', detail: verdict.detail };
    }
  }

  /** Value-checked delete (redlock's release script): never frees a lock someone else now owns. */
  async release(lock: HeldLock): Promise<void> {
    try {
      await lock.release();
    } catch {
      // Nodes we could not reach let the key expire by its TTL.
    }
  }
}

/** held = a quorum of nodes answered, but the key holds another value (or is gone / expired locally). */
async function classify(error: unknown): Promise<{ held: boolean; detail: string }> {
  if (!(error instanceof ExecutionError)) throw error;
  const last = error.attempts.at(-1);
  if (last === undefined) return { held: true, detail: error.message }; // "Cannot extend an already-expired lock"
  const stats = await last;
  const errors = [...stats.votesAgainst.values()];
  const heldVotes = errors.filter((e) => e instanceof ResourceLockedError).length;
  const answered = stats.votesFor.size + heldVotes;
  const firstOther = errors.find((e) => !(e instanceof ResourceLockedError));
  return answered >= stats.quorumSize
    ? { held: true, detail: `${heldVotes} of ${stats.membershipSize} nodes hold it for someone else` }
    : {
        held: false,
        detail: `${answered} of ${stats.membershipSize} nodes answered, ${stats.quorumSize} needed${firstOther ? ` (${firstOther.message})` : ''}`,
      };
}
