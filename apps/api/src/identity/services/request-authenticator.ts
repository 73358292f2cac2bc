import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../../common/auth/index.js';
import { SessionService } from './session-service.js';
import { TokenService } from './token-service.js';

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/;

/** Who is calling: a valid access token (HMAC check) of a live session (one Redis round trip). */
@Injectable()
export class RequestAuthenticator {
  constructor(
    private readonly tokens: TokenService,
    private readonly sessions: SessionService,
  ) {}

  /** The caller of an `Authorization` header value, or null for anything not exactly valid. */
  async authenticate(header: string | string[]): Promise<AuthUser | null> {
    const match = typeof header === 'string' ? BEARER.exec(header) : null;
    if (!match) return null;
    const claims = this.tokens.verifyAccess(match[1]!);
    if (!claims) return null;
    const session = await this.sessions.active(claims.sid, claims.sub);
    if (!session) return null;
    // The role of the session state, not the token's claim: a role change applies at once.
    return { id: claims.sub, role: session.role, sessionId: claims.sid };
  }
}
