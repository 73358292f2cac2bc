import { Injectable } from '@nestjs/common';
import { EventBus, UnauthenticatedError } from '@app/common';
import type { AuthResult, ClientInfo, UserView } from '../identity.types.js';
import '../identity.events.js';
import { RefreshTokenService } from './refresh-token.service.js';
import { SessionService } from './session.service.js';
import { TokenService } from './token.service.js';
import { UsersService } from './users.service.js';

export const INVALID_CREDENTIALS = 'Invalid email or password';
export const INVALID_REFRESH_TOKEN = 'Invalid or expired refresh token';

/** Sign-up, sign-in, token refresh and sign-out: orchestrates users, sessions and tokens. */
@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionService,
    private readonly refreshTokens: RefreshTokenService,
    private readonly tokens: TokenService,
    private readonly events: EventBus,
  ) {}

  async register(
    input: { email: string; password: string; name: string },
    client: ClientInfo,
    guestCartToken?: string,
  ): Promise<AuthResult> {
    const user = await this.users.create(input);
    return this.signIn(user, input.email, 'register', client, guestCartToken);
  }

  /** One message for an unknown email and a wrong password. */
  async login(input: { email: string; password: string }, client: ClientInfo, guestCartToken?: string): Promise<AuthResult> {
    const user = await this.users.verifyCredentials(input.email, input.password);
    if (!user) throw new UnauthenticatedError(INVALID_CREDENTIALS);
    return this.signIn(user, input.email, 'login', client, guestCartToken);
  }

  /**
   * Rotates the refresh token; a reused one revokes its whole session. Within the grace window a
   * retried or concurrent refresh of the same token gets the same successor (and a fresh access
   * token of the same session).
   */
  async refresh(refreshToken: string): Promise<AuthResult> {
    const result = await this.refreshTokens.rotate(refreshToken);
    if (result.kind === 'reused') {
      await this.sessions.revoke(result.sessionId, 'refresh-reuse');
      throw new UnauthenticatedError(INVALID_REFRESH_TOKEN);
    }
    if (result.kind === 'invalid') throw new UnauthenticatedError(INVALID_REFRESH_TOKEN);
    // The session's expiry moved: drop the cached copy so no instance goes by the old one.
    if (!result.replayed) await this.sessions.forget([result.sessionId]);
    return this.result(result.user, result.sessionId, result.refreshToken);
  }

  /** Ends the session: its access and refresh tokens stop working at once. */
  async logout(sessionId: string): Promise<void> {
    await this.sessions.revoke(sessionId, 'logout');
  }

  private async signIn(
    user: UserView,
    email: string,
    via: 'login' | 'register',
    client: ClientInfo,
    guestCartToken: string | undefined,
  ): Promise<AuthResult> {
    const { sessionId, refreshToken } = await this.sessions.create(user.id, client);
    // Listeners (the cart merges a guest cart, the rate limiter clears the email's failures) run
    // before the tokens are returned; their failures never fail the sign-in.
    await this.events.emit('identity.user-signed-in', { userId: user.id, email, via, guestCartToken, requestId: client.requestId });
    return this.result(user, sessionId, refreshToken);
  }

  private result(user: UserView, sessionId: string, refreshToken: string): AuthResult {
    const accessToken = this.tokens.signAccess({ sub: user.id, sid: sessionId, role: user.role });
    return { user, accessToken, refreshToken, expiresIn: this.tokens.accessTtlSeconds };
  }
}
