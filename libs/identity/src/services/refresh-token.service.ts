import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { APP_CONFIG, UUID_SOURCE, type AppConfig } from '@app/common';
import { Transactions, type Transaction } from '@app/database';
import { RefreshTokensRepository, type TokenOwner } from '../repositories/refresh-tokens.repository.js';
import { SessionsRepository } from '../repositories/sessions.repository.js';

export type RotationResult =
  | { kind: 'rotated'; sessionId: string; refreshToken: string; user: TokenOwner }
  /** The token was already used: the caller must revoke the session. */
  | { kind: 'reused'; sessionId: string }
  | { kind: 'invalid' };

// `<session uuid>.<32 random bytes, base64url>`: the session id makes lookups and reuse handling
// per-session; the random part is the secret. Only SHA-256 digests are stored.
const FORMAT = new RegExp(`^(${UUID_SOURCE})\\.([A-Za-z0-9_-]{43})$`);

/** Opaque, single-use refresh tokens; one family per session. */
@Injectable()
export class RefreshTokenService {
  private readonly ttlMs: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly transactions: Transactions,
    private readonly tokens: RefreshTokensRepository,
    private readonly sessions: SessionsRepository,
  ) {
    this.ttlMs = config.jwt.refreshTtlSeconds * 1000;
  }

  /** Creates a token of the session's family (inside the caller's transaction). */
  async issue(tx: Transaction, sessionId: string, expiresAt: Date): Promise<string> {
    const token = `${sessionId}.${randomBytes(32).toString('base64url')}`;
    await this.tokens.insert(sessionId, digest(token), expiresAt, tx.manager);
    return token;
  }

  /**
   * Consumes `token` and issues its successor atomically (the guarded consume and the insert of the
   * successor in one transaction): at most one successor exists, and a loser of a concurrent
   * rotation is reported as reuse.
   */
  async rotate(token: string): Promise<RotationResult> {
    const match = FORMAT.exec(token);
    if (!match) return { kind: 'invalid' };
    const sessionId = match[1]!;
    if (sessionId !== sessionId.toLowerCase()) return { kind: 'invalid' }; // issued lower-case only
    const hash = digest(token);
    const rotated = await this.transactions.run(async (tx) => {
      const user = await this.tokens.consume(hash, sessionId, tx.manager);
      if (!user) return null;
      const expiresAt = new Date(Date.now() + this.ttlMs);
      await this.sessions.extend(sessionId, expiresAt, tx.manager);
      const refreshToken = await this.issue(tx, sessionId, expiresAt);
      return { refreshToken, user };
    });
    if (rotated) return { kind: 'rotated', sessionId, ...rotated };
    if (await this.tokens.wasConsumed(hash, sessionId)) return { kind: 'reused', sessionId };
    return { kind: 'invalid' };
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
