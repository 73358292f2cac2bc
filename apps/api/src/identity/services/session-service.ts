import { Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { LRUCache } from 'lru-cache';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { DataSource, type EntityManager } from 'typeorm';
import { SessionEntity } from '../entities/session.entity.js';
import { RefreshTokenService } from './refresh-token-service.js';
import { SessionCache, type ActiveSession } from './session-cache.js';

export interface ClientInfo {
  userAgent?: string | null;
  ip?: string | null;
  /** The request being served: put on the log lines written on its behalf (not stored). */
  requestId?: string;
}

export type RevokeReason = 'logout' | 'revoked' | 'password-change' | 'refresh-reuse';

const TOUCH_EVERY_MS = 60_000;

/** Sessions: created at sign-in, checked on every request, listed and revoked by their owner. */
@Injectable()
export class SessionService {
  private readonly logger = new Logger(SessionService.name);
  private readonly ttlMs: number;
  // Sessions this instance wrote last_used_at for recently (keeps the write to once a minute).
  private readonly recentlyTouched = new LRUCache<string, number>({ max: 100_000, ttl: TOUCH_EVERY_MS });

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cache: SessionCache,
    private readonly refreshTokens: RefreshTokenService,
  ) {
    this.ttlMs = config.jwt.refreshTtlSeconds * 1000;
  }

  /** A new session with the first refresh token of its family. */
  async create(userId: string, client: ClientInfo): Promise<{ sessionId: string; refreshToken: string }> {
    const sessionId = randomUUID();
    const expiresAt = new Date(Date.now() + this.ttlMs);
    const refreshToken = await this.dataSource.transaction(async (manager) => {
      await manager.insert(SessionEntity, {
        id: sessionId,
        userId,
        userAgent: truncate(client.userAgent, 512),
        ip: truncate(client.ip, 64),
        expiresAt, // created_at and last_used_at: the database's now()
      });
      return this.refreshTokens.issue(manager, sessionId, expiresAt);
    });
    return { sessionId, refreshToken };
  }

  /**
   * The live session behind an access token (an L1 hit, answered synchronously, or one Redis round
   * trip), null when it no longer counts.
   */
  active(sessionId: string, userId: string): ActiveSession | null | Promise<ActiveSession | null> {
    const session = this.cache.get(sessionId, userId);
    if (session instanceof Promise) return session.then((s) => this.touched(sessionId, s));
    return this.touched(sessionId, session);
  }

  /** The user's sessions that are neither revoked nor expired, newest first. */
  listActive(userId: string): Promise<SessionEntity[]> {
    return this.dataSource.manager
      .createQueryBuilder(SessionEntity, 's')
      .where('s.user_id = :userId AND s.revoked_at IS NULL AND s.expires_at > now()', { userId })
      .orderBy('s.created_at', 'DESC')
      .getMany();
  }

  /** Revokes one of the user's sessions; another user's (or an unknown) id is a 404. */
  async revokeOwn(userId: string, sessionId: string, reason: RevokeReason): Promise<void> {
    const ids = await this.revokeWhere('id = $1 AND user_id = $2', [sessionId, userId], reason);
    if (ids.length === 0) {
      const exists = await this.dataSource.query('SELECT 1 FROM identity.sessions WHERE id = $1 AND user_id = $2', [sessionId, userId]);
      if (exists.length === 0) throw new NotFoundException('Session not found');
    }
  }

  /** Revokes a session whatever its owner (refresh-token reuse). */
  async revoke(sessionId: string, reason: RevokeReason): Promise<void> {
    await this.revokeWhere('id = $1', [sessionId], reason);
  }

  /**
   * Revokes every session of the user except `keepSessionId`, inside the caller's transaction.
   * Returns their ids: pass them to forget() once the transaction committed (forgetting earlier
   * would let a concurrent read cache the not-yet-revoked state again).
   */
  revokeOthersIn(manager: EntityManager, userId: string, keepSessionId: string, reason: RevokeReason): Promise<string[]> {
    return this.revokeRows(manager, 'user_id = $1 AND id <> $2', [userId, keepSessionId], reason);
  }

  /** Makes revocations committed by revokeOthersIn() effective at once on every instance. */
  forget(sessionIds: readonly string[]): Promise<void> {
    return this.cache.forget(sessionIds);
  }

  /** Drops cached state of the user's sessions (after a role change). */
  forgetUser(userId: string): Promise<void> {
    return this.cache.forgetUser(userId);
  }

  /** Auto-committed revocation, then the cache entries are tombstoned. */
  private async revokeWhere(where: string, params: unknown[], reason: RevokeReason): Promise<string[]> {
    const ids = await this.revokeRows(this.dataSource.manager, where, params, reason);
    if (ids.length) await this.cache.forget(ids);
    return ids;
  }

  private async revokeRows(manager: EntityManager, where: string, params: unknown[], reason: RevokeReason): Promise<string[]> {
    const [rows] = (await manager.query(
      `UPDATE identity.sessions SET revoked_at = now(), revoke_reason = $${params.length + 1}
        WHERE ${where} AND revoked_at IS NULL RETURNING id`,
      [...params, reason],
    )) as [{ id: string }[], number];
    return rows.map((r) => r.id);
  }

  private touched(sessionId: string, session: ActiveSession | null): ActiveSession | null {
    if (session) this.touch(sessionId);
    return session;
  }

  private touch(sessionId: string): void {
    if (this.recentlyTouched.has(sessionId)) return;
    this.recentlyTouched.set(sessionId, Date.now());
    this.dataSource
      .query(`UPDATE identity.sessions SET last_used_at = now() WHERE id = $1 AND last_used_at < now() - interval '60 seconds'`, [sessionId])
      .catch((error: unknown) => this.logger.warn(`last_used_at not updated: ${(error as Error).message}`));
  }
}

function truncate(value: string | null | undefined, max: number): string | null {
  if (!value) return null;
  return value.length > max ? value.slice(0, max) : value;
}
