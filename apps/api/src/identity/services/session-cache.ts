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
// Passed on every call too, so L1 stays off even if someone created the namespace before us.
const NO_L1 = Object.freeze({ l1: false, ttl: TTL_MS });

/**
 * "Is this session still valid?" in one Redis round trip (cache-aside over the primary). No L1:
 * revocation must be immediate on every instance, and pub/sub L1 invalidation is at-most-once.
 * Revocations tombstone the entry (a load racing with them cannot write the old state back); a
 * role change tombstones every live session of the user.
 * When Redis is down, reads fall through to Postgres.
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
    this.sessions = cache.namespace(NAMESPACE, { defaults: NO_L1 });
  }

  /** The session if it exists, belongs to `userId`, is not revoked and has not expired; else null. */
  async get(sessionId: string, userId: string): Promise<ActiveSession | null> {
    const state = await this.sessions.getOrLoad<ActiveSession | null>(sessionId, () => this.load(sessionId), NO_L1);
    if (!state || state.userId !== userId || state.expiresAt <= Date.now()) return null;
    return state;
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

