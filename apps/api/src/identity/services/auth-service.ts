import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { AuthUser } from '../../common/auth/index.js';
import { emailTrackerKey, LOGIN_EMAIL_THROTTLER } from '../throttling/login-throttle.js';
import { RATE_LIMIT_STORAGE } from '../throttling/rate-limit.tokens.js';
import type { RedisThrottlerStorage } from '../throttling/redis-throttler-storage.js';
import { GuestCartHook } from './guest-cart-hook.js';
import { RefreshTokenService } from './refresh-token-service.js';
import { SessionService, type ClientInfo } from './session-service.js';
import { TokenService } from './token-service.js';
import { UsersService, type UserView } from './users-service.js';

export interface AuthResult {
  user: UserView;
  accessToken: string;
  refreshToken: string;
  /** Access token lifetime in seconds. */
  expiresIn: number;
}

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
    private readonly cartHook: GuestCartHook,
    @Inject(RATE_LIMIT_STORAGE) private readonly throttles: RedisThrottlerStorage,
  ) {}

  async register(input: { email: string; password: string; name: string }, client: ClientInfo, cartToken?: string): Promise<AuthResult> {
    const user = await this.users.create(input);
    return this.signIn(user, client, cartToken);
  }

  /** One 401 message for an unknown email and a wrong password. */
  async login(input: { email: string; password: string }, client: ClientInfo, cartToken?: string): Promise<AuthResult> {
    const user = await this.users.verifyCredentials(input.email, input.password);
    if (!user) throw new UnauthorizedException(INVALID_CREDENTIALS);
    await this.throttles.reset(LOGIN_EMAIL_THROTTLER, emailTrackerKey(input.email));
    return this.signIn(user, client, cartToken);
  }

  /** Rotates the refresh token; a reused one revokes its whole session. */
  async refresh(refreshToken: string): Promise<AuthResult> {
    const result = await this.refreshTokens.rotate(refreshToken);
    if (result.kind === 'reused') {
      await this.sessions.revoke(result.sessionId, 'refresh-reuse');
      throw new UnauthorizedException(INVALID_REFRESH_TOKEN);
    }
    if (result.kind === 'invalid') throw new UnauthorizedException(INVALID_REFRESH_TOKEN);
    // The session's expiry moved: drop the cached copy so no instance goes by the old one.
    await this.sessions.forget([result.sessionId]);
    return this.result(result.user, result.sessionId, result.refreshToken);
  }

  /** Ends the caller's session: its access and refresh tokens stop working at once. */
  async logout(caller: AuthUser): Promise<void> {
    await this.sessions.revoke(caller.sessionId, 'logout');
  }

  private async signIn(user: UserView, client: ClientInfo, cartToken: string | undefined): Promise<AuthResult> {
    const { sessionId, refreshToken } = await this.sessions.create(user.id, client);
    await this.cartHook.afterSignIn(user.id, cartToken, client.requestId);
    return this.result(user, sessionId, refreshToken);
  }

  private result(user: UserView, sessionId: string, refreshToken: string): AuthResult {
    const accessToken = this.tokens.signAccess({ sub: user.id, sid: sessionId, role: user.role });
    return { user, accessToken, refreshToken, expiresIn: this.tokens.accessTtlSeconds };
  }
}
