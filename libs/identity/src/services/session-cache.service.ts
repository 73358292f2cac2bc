import { Injectable } from '@nestjs/common';
import { CacheService, type CacheAside } from '@app/cache';
import type { ActiveSession } from '../identity.types.js';
import { SessionsRepository } from '../repositories/sessions.repository.js';

const NAMESPACE = 'sessions';
const TTL_MS = 5 * 60_000;

/**
 * "Is this session still valid?": an L1 hit, else one Redis round trip (cache-aside over the
 * primary). Revocations tombstone the entry (a load racing with them cannot write the old state
 * back) and return only once every live instance dropped it from its L1, or after the ack
 * timeout, which is longer than the L1 ttl (libs/cache's invalidation bus): so a logout, revoke or
 * password change is in force on every instance when its request returns. A role change
 * tombstones every live session of the user. When Redis is down, reads fall through to Postgres.
 */
@Injectable()
export class SessionCache {
  private readonly sessions: CacheAside;

  constructor(
    private readonly cache: CacheService,
    private readonly repository: SessionsRepository,
  ) {
    this.sessions = cache.namespace(NAMESPACE, { defaults: { ttl: TTL_MS } });
  }

  /**
   * The session if it exists, belongs to `userId`, is not revoked and has not expired; else null.
   * An L1 hit answers synchronously (most requests), anything else with a promise.
   */
  get(sessionId: string, userId: string): ActiveSession | null | Promise<ActiveSession | null> {
    const hit = this.sessions.peek<ActiveSession | null>(sessionId);
    if (hit !== undefined) return live(hit.value, userId);
    return this.sessions
      .getOrLoad<ActiveSession | null>(sessionId, () => this.repository.findActiveState(sessionId))
      .then((state) => live(state, userId));
  }

  /** Call after the session row changed (revoked, extended) and committed. */
  async forget(sessionIds: readonly string[]): Promise<void> {
    await Promise.all(sessionIds.map((id) => this.cache.invalidator.invalidateKey(NAMESPACE, id)));
  }

  /** Call after something every session of the user caches changed (role). */
  async forgetUser(userId: string): Promise<void> {
    const ids = await this.repository.activeIdsOfUser(userId);
    if (ids.length)
      await this.cache.invalidator.invalidateKeys(
        NAMESPACE,
        ids.map((id) => this.sessions.key(id)),
      );
  }
}

function live(state: ActiveSession | null, userId: string): ActiveSession | null {
  return state && state.userId === userId && state.expiresAt > Date.now() ? state : null;
}
