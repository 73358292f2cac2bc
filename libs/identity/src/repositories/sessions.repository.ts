import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { deleteInBatches } from '@app/database';
import { SessionEntity } from '../entities/session.entity.js';
import type { ActiveSession, RevokeReason } from '../identity.types.js';
import type { Role } from '../roles.js';

/** identity.sessions: the only code that reads or writes it. */
@Injectable()
export class SessionsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** created_at and last_used_at: the database's now(). */
  async insert(
    session: { id: string; userId: string; userAgent: string | null; ip: string | null; expiresAt: Date },
    manager: EntityManager = this.dataSource.manager,
  ): Promise<void> {
    await manager.insert(SessionEntity, session);
  }

  /** The state a request needs, for a session that is neither revoked nor expired. */
  async findActiveState(sessionId: string, manager: EntityManager = this.dataSource.manager): Promise<ActiveSession | null> {
    const rows = await manager.query<{ user_id: string; role: Role; expires_at: Date }[]>(
      `SELECT s.user_id, u.role, s.expires_at FROM identity.sessions s JOIN identity.users u ON u.id = s.user_id
        WHERE s.id = $1 AND s.revoked_at IS NULL AND s.expires_at > now()`,
      [sessionId],
    );
    const row = rows[0];
    return row ? { userId: row.user_id, role: row.role, expiresAt: new Date(row.expires_at).getTime() } : null;
  }

  /** Newest first. */
  listActive(userId: string, manager: EntityManager = this.dataSource.manager): Promise<SessionEntity[]> {
    return manager
      .createQueryBuilder(SessionEntity, 's')
      .where('s.user_id = :userId AND s.revoked_at IS NULL AND s.expires_at > now()', { userId })
      .orderBy('s.created_at', 'DESC')
      .getMany();
  }

  async activeIdsOfUser(userId: string, manager: EntityManager = this.dataSource.manager): Promise<string[]> {
    const rows = await manager.query<
      {
        id: string;
      }[]
    >('SELECT id FROM identity.sessions WHERE user_id = $1 AND revoked_at IS NULL', [userId]);
    return rows.map((r) => r.id);
  }

  async existsForUser(sessionId: string, userId: string, manager: EntityManager = this.dataSource.manager): Promise<boolean> {
    const rows = await manager.query<unknown[]>('SELECT 1 FROM identity.sessions WHERE id = $1 AND user_id = $2', [sessionId, userId]);
    return rows.length > 0;
  }

  /** Revokes the session (of `userId`, when given); the ids that were live and are now revoked. */
  revoke(sessionId: string, reason: RevokeReason, userId?: string, manager: EntityManager = this.dataSource.manager): Promise<string[]> {
    return userId === undefined
      ? this.revokeWhere(manager, 'id = $1', [sessionId], reason)
      : this.revokeWhere(manager, 'id = $1 AND user_id = $2', [sessionId, userId], reason);
  }

  /** Revokes every live session of the user but one. */
  revokeOthers(
    userId: string,
    keepSessionId: string,
    reason: RevokeReason,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<string[]> {
    return this.revokeWhere(manager, 'user_id = $1 AND id <> $2', [userId, keepSessionId], reason);
  }

  /** Moves the expiry of a session whose refresh token was rotated. */
  async extend(sessionId: string, expiresAt: Date, manager: EntityManager = this.dataSource.manager): Promise<void> {
    await manager.query('UPDATE identity.sessions SET expires_at = $2, last_used_at = now() WHERE id = $1', [sessionId, expiresAt]);
  }

  /** last_used_at, written at most once a minute per session. */
  async touch(sessionId: string, manager: EntityManager = this.dataSource.manager): Promise<void> {
    await manager.query(
      `UPDATE identity.sessions SET last_used_at = now() WHERE id = $1 AND last_used_at < now() - interval '60 seconds'`,
      [sessionId],
    );
  }

  /**
   * Deletes sessions that ended (expired or revoked) more than `retentionSeconds` ago, with their
   * refresh tokens, and expired refresh tokens of live sessions; rows removed.
   */
  async purgeEnded(retentionSeconds: number, batch = 5_000, manager: EntityManager = this.dataSource.manager): Promise<number> {
    const sessions = await deleteInBatches(
      manager,
      `DELETE FROM identity.sessions WHERE id IN (
         SELECT id FROM identity.sessions
          WHERE expires_at < now() - make_interval(secs => $1) OR revoked_at < now() - make_interval(secs => $1) LIMIT $2)`,
      [retentionSeconds],
      batch,
    );
    const tokens = await deleteInBatches(
      manager,
      'DELETE FROM identity.refresh_tokens WHERE id IN (SELECT id FROM identity.refresh_tokens WHERE expires_at < now() - make_interval(secs => $1) LIMIT $2)',
      [retentionSeconds],
      batch,
    );
    return sessions + tokens;
  }

  private async revokeWhere(manager: EntityManager, where: string, params: unknown[], reason: RevokeReason): Promise<string[]> {
    const [rows] = await manager.query<[{ id: string }[], number]>(
      `UPDATE identity.sessions SET revoked_at = now(), revoke_reason = $${params.length + 1}
        WHERE ${where} AND revoked_at IS NULL RETURNING id`,
      [...params, reason],
    );
    return rows.map((r) => r.id);
  }
}
