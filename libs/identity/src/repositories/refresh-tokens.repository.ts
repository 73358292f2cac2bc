import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { Role } from '../roles.js';

/** The user behind a consumed token, as the new token pair needs it. */
export interface TokenOwner {
  id: string;
  email: string;
  name: string;
  role: Role;
  createdAt: Date;
}

interface OwnerRow {
  id: string;
  email: string;
  name: string;
  role: Role;
  created_at: Date;
}

const toOwner = (row: OwnerRow): TokenOwner => ({
  id: row.id,
  email: row.email,
  name: row.name,
  role: row.role,
  createdAt: new Date(row.created_at),
});

/** identity.refresh_tokens: SHA-256 digests of single-use refresh tokens, one family per session. */
@Injectable()
export class RefreshTokensRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(sessionId: string, digest: Buffer, expiresAt: Date, manager: EntityManager = this.dataSource.manager): Promise<void> {
    await manager.query('INSERT INTO identity.refresh_tokens (session_id, token_hash, expires_at) VALUES ($1, $2, $3)', [
      sessionId,
      digest,
      expiresAt,
    ]);
  }

  /**
   * Marks the token consumed if it is unconsumed, unexpired and its session live (one guarded
   * UPDATE: of two concurrent consumers, the second waits for the first's row lock, then finds it
   * consumed), and records its successor (digest and sealed token) in the same statement. The
   * token's owner, or null when nothing was consumed.
   */
  async consume(
    digest: Buffer,
    sessionId: string,
    successor: { digest: Buffer; sealed: Buffer },
    manager: EntityManager = this.dataSource.manager,
  ): Promise<TokenOwner | null> {
    const [rows] = await manager.query<[OwnerRow[], number]>(
      `UPDATE identity.refresh_tokens rt SET consumed_at = now(), successor_hash = $3, successor_sealed = $4
         FROM identity.sessions s JOIN identity.users u ON u.id = s.user_id
        WHERE rt.token_hash = $1 AND rt.session_id = $2 AND s.id = rt.session_id
          AND rt.consumed_at IS NULL AND rt.expires_at > now()
          AND s.revoked_at IS NULL AND s.expires_at > now()
      RETURNING u.id, u.email, u.name, u.role, u.created_at`,
      [digest, sessionId, successor.digest, successor.sealed],
    );
    return rows[0] ? toOwner(rows[0]) : null;
  }

  /**
   * For a token consumed less than `graceSeconds` ago (by Postgres's clock) whose successor is
   * still unconsumed and whose session is live: the sealed successor and the owner; else null.
   */
  async findReplayable(
    digest: Buffer,
    sessionId: string,
    graceSeconds: number,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<{ sealed: Buffer; owner: TokenOwner } | null> {
    const rows = await manager.query<(OwnerRow & { successor_sealed: Buffer })[]>(
      `SELECT rt.successor_sealed, u.id, u.email, u.name, u.role, u.created_at
         FROM identity.refresh_tokens rt
         JOIN identity.refresh_tokens nxt ON nxt.token_hash = rt.successor_hash AND nxt.session_id = rt.session_id
         JOIN identity.sessions s ON s.id = rt.session_id
         JOIN identity.users u ON u.id = s.user_id
        WHERE rt.token_hash = $1 AND rt.session_id = $2
          AND rt.consumed_at > now() - make_interval(secs => $3) AND rt.successor_sealed IS NOT NULL
          AND nxt.consumed_at IS NULL AND nxt.expires_at > now()
          AND s.revoked_at IS NULL AND s.expires_at > now()`,
      [digest, sessionId, graceSeconds],
    );
    const row = rows[0];
    return row ? { sealed: row.successor_sealed, owner: toOwner(row) } : null;
  }

  /** Whether a token with this digest exists and was already consumed. */
  async wasConsumed(digest: Buffer, sessionId: string, manager: EntityManager = this.dataSource.manager): Promise<boolean> {
    const rows = await manager.query<
      {
        consumed_at: Date | null;
      }[]
    >('SELECT consumed_at FROM identity.refresh_tokens WHERE token_hash = $1 AND session_id = $2', [digest, sessionId]);
    return Boolean(rows[0]?.consumed_at);
  }
}
