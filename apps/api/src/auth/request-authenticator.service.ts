import { Injectable } from '@nestjs/common';
import { SessionService, TokenService, type AccessClaims, type ActiveSession } from '@app/identity';
import type { AuthUser } from './auth-user.js';

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/;

/** Who is calling: a valid access token (HMAC check, cached per token) of a live session (L1 or one Redis round trip). */
@Injectable()
export class RequestAuthenticator {
  constructor(
    private readonly tokens: TokenService,
    private readonly sessions: SessionService,
  ) {}

  /**
   * The caller of an `Authorization` header value, or null for anything not exactly valid.
   * Synchronous when the session state is in L1 (the common case), else a promise.
   */
  authenticate(header: string | string[]): AuthUser | null | Promise<AuthUser | null> {
    const match = typeof header === 'string' ? BEARER.exec(header) : null;
    if (!match) return null;
    const claims = this.tokens.verifyAccess(match[1]);
    if (!claims) return null;
    const session = this.sessions.active(claims.sid, claims.sub);
    return session instanceof Promise ? session.then((s) => caller(claims, s)) : caller(claims, session);
  }
}

// The role of the session state, not the token's claim: a role change applies at once.
function caller(claims: Readonly<AccessClaims>, session: ActiveSession | null): AuthUser | null {
  return session ? { id: claims.sub, role: session.role, sessionId: claims.sid } : null;
}
