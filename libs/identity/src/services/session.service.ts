import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG, NotFoundError, type AppConfig } from '@app/common';
import { Transactions, type Transaction } from '@app/database';
import type { ActiveSession, ClientInfo, RevokeReason, SessionView } from '../identity.types.js';
import { SessionsRepository } from '../repositories/sessions.repository.js';
import { RefreshTokenService } from './refresh-token.service.js';
import { RecentTouches } from './recent-touches.js';
import { SessionCache } from './session-cache.service.js';

const TOUCH_EVERY_MS = 60_000;

/** Sessions: created at sign-in, checked on every request, listed and revoked by their owner. */
@Injectable()
export class SessionService {
  private readonly logger = new Logger(SessionService.name);
  private readonly ttlMs: number;
  // Sessions this instance wrote last_used_at for recently (keeps the write to once a minute).
  private readonly recentlyTouched = new RecentTouches(TOUCH_EVERY_MS, 100_000);

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly transactions: Transactions,
    private readonly repository: SessionsRepository,
    private readonly cache: SessionCache,
    private readonly refreshTokens: RefreshTokenService,
  ) {
    this.ttlMs = config.jwt.refreshTtlSeconds * 1000;
  }

  /** A new session with the first refresh token of its family. */
  create(userId: string, client: ClientInfo): Promise<{ sessionId: string; refreshToken: string }> {
    const sessionId = randomUUID();
    const expiresAt = new Date(Date.now() + this.ttlMs);
    return this.transactions.run(async (tx) => {
      await this.repository.insert(
        { id: sessionId, userId, userAgent: truncate(client.userAgent, 512), ip: truncate(client.ip, 64), expiresAt },
        tx.manager,
      );
      return { sessionId, refreshToken: await this.refreshTokens.issue(tx, sessionId, expiresAt) };
    });
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
  async listActive(userId: string): Promise<SessionView[]> {
    const rows = await this.repository.listActive(userId);
    return rows.map((s) => ({ id: s.id, createdAt: s.createdAt, lastUsedAt: s.lastUsedAt, userAgent: s.userAgent, ip: s.ip }));
  }

  /** Revokes one of the user's sessions; another user's (or an unknown) id is not found. */
  async revokeOwn(userId: string, sessionId: string, reason: RevokeReason): Promise<void> {
    const ids = await this.repository.revoke(sessionId, reason, userId);
    if (ids.length) await this.cache.forget(ids);
    else if (!(await this.repository.existsForUser(sessionId, userId))) throw new NotFoundError('Session not found');
  }

  /** Revokes a session whatever its owner (refresh-token reuse). */
  async revoke(sessionId: string, reason: RevokeReason): Promise<void> {
    const ids = await this.repository.revoke(sessionId, reason);
    if (ids.length) await this.cache.forget(ids);
  }

  /**
   * Revokes every session of the user except `keepSessionId` inside the caller's transaction; the
   * cached states are dropped after it commits (earlier, a concurrent read could cache the
   * not-yet-revoked state again).
   */
  async revokeOthers(tx: Transaction, userId: string, keepSessionId: string, reason: RevokeReason): Promise<void> {
    const ids = await this.repository.revokeOthers(userId, keepSessionId, reason, tx.manager);
    if (ids.length) tx.afterCommit(() => this.cache.forget(ids));
  }

  /** The session's expiry moved (refresh): drop the cached copy so no instance goes by the old one. */
  forget(sessionIds: readonly string[]): Promise<void> {
    return this.cache.forget(sessionIds);
  }

  /** Drops cached state of the user's sessions (after a role change). */
  forgetUser(userId: string): Promise<void> {
    return this.cache.forgetUser(userId);
  }

  /** Housekeeping: removes sessions (and refresh tokens) that ended more than `retentionSeconds` ago. */
  purgeEnded(retentionSeconds: number): Promise<number> {
    return this.repository.purgeEnded(retentionSeconds);
  }

  private touched(sessionId: string, session: ActiveSession | null): ActiveSession | null {
    if (session) this.touch(sessionId);
    return session;
  }

  private touch(sessionId: string): void {
    if (!this.recentlyTouched.touch(sessionId)) return;
    this.repository.touch(sessionId).catch((error: unknown) => this.logger.warn(`last_used_at not updated: ${(error as Error).message}`));
  }
}

function truncate(value: string | null | undefined, max: number): string | null {
  if (!value) return null;
  return value.length > max ? value.slice(0, max) : value;
}
