import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomBytes } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Role } from '../../common/auth/index.js';

/** The user behind a rotated token, as the new token pair needs it. */
export interface RotatedUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  createdAt: Date;
}

export type RotationResult =
  | { kind: 'rotated'; sessionId: string; refreshToken: string; user: RotatedUser }
  /** The token was already used: the caller must revoke the session. */
  | { kind: 'reused'; sessionId: string }
  | { kind: 'invalid' };

// `<session uuid>.<32 random bytes, base64url>`: the session id makes lookups and reuse handling
// per-session; the random part is the secret. Only SHA-256 digests are stored.
const FORMAT = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{43})$/;

/** Opaque, single-use refresh tokens; one family per session. */
@Injectable()
export class RefreshTokenService {
  private readonly ttlMs: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    this.ttlMs = config.jwt.refreshTtlSeconds * 1000;
  }

  /** Creates a token of the session's family (inside the caller's transaction). */
  async issue(manager: EntityManager, sessionId: string, expiresAt: Date): Promise<string> {
    const token = `${sessionId}.${randomBytes(32).toString('base64url')}`;
    await manager.query('INSERT INTO identity.refresh_tokens (session_id, token_hash, expires_at) VALUES ($1, $2, $3)', [sessionId, digest(token), expiresAt]);
    return token;
  }

  /**
   * Consumes `token` and issues its successor atomically: a guarded UPDATE (only an unconsumed,
   * unexpired token of a live session) and the INSERT of the successor in one transaction. Of two
   * concurrent rotations of one token, the second waits for the first's row lock, then finds the
   * token consumed: at most one successor exists, and the loser is reported as reuse.
   */
  async rotate(token: string): Promise<RotationResult> {
    const match = FORMAT.exec(token);
    if (!match) return { kind: 'invalid' };
    const sessionId = match[1]!.toLowerCase();
    const hash = digest(token);
    const rotated = await this.dataSource.transaction(async (manager) => {
      const [rows] = (await manager.query(
        `UPDATE identity.refresh_tokens rt SET consumed_at = now()
           FROM identity.sessions s JOIN identity.users u ON u.id = s.user_id
          WHERE rt.token_hash = $1 AND rt.session_id = $2 AND s.id = rt.session_id
            AND rt.consumed_at IS NULL AND rt.expires_at > now()
            AND s.revoked_at IS NULL AND s.expires_at > now()
        RETURNING u.id, u.email, u.name, u.role, u.created_at`,
        [hash, sessionId],
      )) as [{ id: string; email: string; name: string; role: Role; created_at: Date }[], number];
      const row = rows[0];
      if (!row) return null;
      const expiresAt = new Date(Date.now() + this.ttlMs);
      await manager.query('UPDATE identity.sessions SET expires_at = $2, last_used_at = now() WHERE id = $1', [sessionId, expiresAt]);
      const refreshToken = await this.issue(manager, sessionId, expiresAt);
      const user: RotatedUser = { id: row.id, email: row.email, name: row.name, role: row.role, createdAt: new Date(row.created_at) };
      return { refreshToken, user };
    });
    if (rotated) return { kind: 'rotated', sessionId, ...rotated };

    const known: { consumed_at: Date | null }[] = await this.dataSource.query(
      'SELECT consumed_at FROM identity.refresh_tokens WHERE token_hash = $1 AND session_id = $2',
      [hash, sessionId],
    );
    if (known[0]?.consumed_at) return { kind: 'reused', sessionId };
    return { kind: 'invalid' };
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
