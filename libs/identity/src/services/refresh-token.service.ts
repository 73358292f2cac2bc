import { Inject, Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { APP_CONFIG, UUID_SOURCE, type AppConfig } from '@app/common';
import { Transactions, type Transaction } from '@app/database';
import { RefreshTokensRepository, type TokenOwner } from '../repositories/refresh-tokens.repository.js';
import { SessionsRepository } from '../repositories/sessions.repository.js';

export type RotationResult =
  /** replayed: the token was rotated moments ago (grace window) and this is the same successor again. */
  | { kind: 'rotated'; sessionId: string; refreshToken: string; user: TokenOwner; replayed: boolean }
  /** The token was already used: the caller must revoke the session. */
  | { kind: 'reused'; sessionId: string }
  | { kind: 'invalid' };

// `<session uuid>.<32 random bytes, base64url>`: the session id makes lookups and reuse handling
// per-session; the random part is the secret. Only SHA-256 digests are stored.
const FORMAT = new RegExp(`^(${UUID_SOURCE})\\.([A-Za-z0-9_-]{43})$`);

/**
 * Opaque, single-use refresh tokens; one family per session. A token presented again within the
 * grace window after its rotation, while its successor is unused, gets that same successor (a
 * retried request whose answer was lost, two tabs refreshing at once: RFC 9700 §4.14); otherwise a
 * second presentation is reuse, and the caller revokes the session.
 */
@Injectable()
export class RefreshTokenService {
  private readonly ttlMs: number;
  private readonly graceSeconds: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly transactions: Transactions,
    private readonly tokens: RefreshTokensRepository,
    private readonly sessions: SessionsRepository,
  ) {
    this.ttlMs = config.jwt.refreshTtlSeconds * 1000;
    this.graceSeconds = config.jwt.refreshGraceSeconds;
  }

  /** Creates a token of the session's family (inside the caller's transaction). */
  async issue(tx: Transaction, sessionId: string, expiresAt: Date): Promise<string> {
    const token = newToken(sessionId);
    await this.tokens.insert(sessionId, digest(token), expiresAt, tx.manager);
    return token;
  }

  /**
   * Consumes `token` and issues its successor atomically (the guarded consume, which also records
   * the successor, and the insert of the successor in one transaction): at most one successor
   * exists. A loser of a concurrent rotation, or a retry, gets that successor while the grace window
   * lasts and the successor is unused; after that it is reported as reuse.
   */
  async rotate(token: string): Promise<RotationResult> {
    const match = FORMAT.exec(token);
    if (!match) return { kind: 'invalid' };
    const sessionId = match[1];
    if (sessionId !== sessionId.toLowerCase()) return { kind: 'invalid' }; // issued lower-case only
    const hash = digest(token);
    const successor = newToken(sessionId);
    const rotated = await this.transactions.run(async (tx) => {
      const user = await this.tokens.consume(
        hash,
        sessionId,
        { digest: digest(successor), sealed: seal(token, sessionId, successor) },
        tx.manager,
      );
      if (!user) return null;
      const expiresAt = new Date(Date.now() + this.ttlMs);
      await this.sessions.extend(sessionId, expiresAt, tx.manager);
      await this.tokens.insert(sessionId, digest(successor), expiresAt, tx.manager);
      return user;
    });
    if (rotated) return { kind: 'rotated', sessionId, refreshToken: successor, user: rotated, replayed: false };
    const replay = this.graceSeconds > 0 ? await this.tokens.findReplayable(hash, sessionId, this.graceSeconds) : null;
    const replayed = replay && open(token, sessionId, replay.sealed);
    if (replay && replayed) return { kind: 'rotated', sessionId, refreshToken: replayed, user: replay.owner, replayed: true };
    if (await this.tokens.wasConsumed(hash, sessionId)) return { kind: 'reused', sessionId };
    return { kind: 'invalid' };
  }
}

function newToken(sessionId: string): string {
  return `${sessionId}.${randomBytes(32).toString('base64url')}`;
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

// The successor is stored sealed (AES-256-GCM, bound to the session id) under a key derived from the
// token it replaces, which is stored only as a SHA-256 digest: whoever reads the table cannot open
// it, the client that still holds the rotated token can.
const SEAL_LABEL = 'refresh-token-successor/v1';

function sealKey(token: string): Buffer {
  return createHmac('sha256', token).update(SEAL_LABEL).digest();
}

/** iv (12 bytes) | tag (16 bytes) | ciphertext. */
function seal(token: string, sessionId: string, successor: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey(token), iv);
  cipher.setAAD(Buffer.from(sessionId));
  const body = Buffer.concat([cipher.update(successor, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

/** The successor, or null when the box does not open with this token. */
function open(token: string, sessionId: string, sealed: Buffer): string | null {
  try {
    const decipher = createDecipheriv('aes-256-gcm', sealKey(token), sealed.subarray(0, 12));
    decipher.setAAD(Buffer.from(sessionId));
    decipher.setAuthTag(sealed.subarray(12, 28));
    return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}
