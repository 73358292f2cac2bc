import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { CacheService, type CacheAside } from '@app/cache';
import { DataSource } from 'typeorm';
import type { Role } from '../../common/auth/index.js';

/** What a request needs to know about a live session. */
export interface ActiveSession {
  userId: string;
  /** The user's current role (a role change applies at once, not when the access token expires). */
  role: Role;
  /** Epoch ms. */
  expiresAt: number;
}

const NAMESPACE = 'sessions';
const TTL_MS = 5 * 60_000;

/**
 * "Is this session still valid?": an L1 hit, else one Redis round trip (cache-aside over the
 * primary). Revocations tombstone the entry (a load racing with them cannot write the old state
 * back) and return only once every live API instance dropped it from its L1, or after the ack
 * timeout, which is longer than the L1 ttl (libs/cache's invalidation bus): so a logout, revoke or
 * password change is in force on every instance when its request returns. A role change
 * tombstones every live session of the user. When Redis is down, reads fall through to Postgres.
 */
@Injectable()
export class SessionCache {
  private readonly cache: CacheService;
  private readonly sessions: CacheAside;

  constructor(
    cache: CacheService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    this.cache = cache;
    this.sessions = cache.namespace(NAMESPACE, { defaults: { ttl: TTL_MS } });
  }

  /**
   * The session if it exists, belongs to `userId`, is not revoked and has not expired; else null.
   * An L1 hit answers synchronously (most requests), anything else with a promise.
   */
  get(sessionId: string, userId: string): ActiveSession | null | Promise<ActiveSession | null> {
    const hit = this.sessions.peek<ActiveSession | null>(sessionId);
    if (hit !== undefined) return live(hit.value, userId);
    return this.sessions.getOrLoad<ActiveSession | null>(sessionId, () => this.load(sessionId)).then((state) => live(state, userId));
  }

  /** Call after the session row changed (revoked, extended). */
  async forget(sessionIds: readonly string[]): Promise<void> {
    await Promise.all(sessionIds.map((id) => this.cache.invalidator.invalidateKey(NAMESPACE, id)));
  }

  /** Call after something every session of the user caches changed (role). */
  async forgetUser(userId: string): Promise<void> {
    const rows: { id: string }[] = await this.dataSource.query('SELECT id FROM identity.sessions WHERE user_id = $1 AND revoked_at IS NULL', [userId]);
    if (rows.length) await this.cache.invalidator.invalidateKeys(NAMESPACE, rows.map((r) => this.sessions.key(r.id)));
  }

  private async load(sessionId: string): Promise<ActiveSession | null> {
    const rows: { user_id: string; role: Role; expires_at: Date }[] = await this.dataSource.query(
      `SELECT s.user_id, u.role, s.expires_at FROM identity.sessions s JOIN identity.users u ON u.id = s.user_id
        WHERE s.id = $1 AND s.revoked_at IS NULL AND s.expires_at > now()`,
      [sessionId],
    );
    const row = rows[0];
    return row ? { userId: row.user_id, role: row.role, expiresAt: new Date(row.expires_at).getTime() } : null;
  }
}


function live(state: ActiveSession | null, userId: string): ActiveSession | null {
  return state && state.userId === userId && state.expiresAt > Date.now() ? state : null;
}
