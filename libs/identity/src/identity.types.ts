import type { Role } from './roles.js';

/** A user as every other module and every response sees it: never a password hash. */
export interface UserView {
  id: string;
  email: string;
  name: string;
  role: Role;
  createdAt: Date;
}

export interface UserPage {
  items: UserView[];
  total: number;
  page: number;
  limit: number;
}

export interface ProfileChange {
  name?: string;
  password?: string;
  currentPassword?: string;
}

/** Where a sign-in comes from (stored on the session; requestId only goes to log lines). */
export interface ClientInfo {
  userAgent?: string | null;
  ip?: string | null;
  requestId?: string;
}

/** One signed-in device as its owner sees it. */
export interface SessionView {
  id: string;
  createdAt: Date;
  lastUsedAt: Date;
  userAgent: string | null;
  ip: string | null;
}

/** What a request needs to know about a live session. */
export interface ActiveSession {
  userId: string;
  /** The user's current role (a role change applies at once, not when the access token expires). */
  role: Role;
  /** Epoch ms. */
  expiresAt: number;
}

export type RevokeReason = 'logout' | 'revoked' | 'password-change' | 'refresh-reuse';

export interface AuthResult {
  user: UserView;
  accessToken: string;
  refreshToken: string;
  /** Access token lifetime in seconds. */
  expiresIn: number;
}

/** Claims of an access token (besides iss, aud, iat, exp). */
export interface AccessClaims {
  sub: string;
  sid: string;
  role: Role;
  typ: 'access';
}
