import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { UsersService } from '@app/identity';

export interface TestUser {
  id: string;
  email: string;
  name: string;
  role: 'customer' | 'admin';
  createdAt: string;
}

export interface RegisteredUser {
  user: TestUser;
  accessToken: string;
  refreshToken: string;
  email: string;
  password: string;
}

export interface RegisterOverrides {
  email?: string;
  password?: string;
  name?: string;
  /** Extra request headers (e.g. X-Cart-Token). */
  headers?: Record<string, string>;
}

/** A client IP per call, so suites sharing one run's Redis never add up on one per-IP limit. */
export function randomClientIp(): string {
  const b = () => 1 + Math.floor(Math.random() * 254);
  return `10.${b()}.${b()}.${b()}`;
}

/** `Authorization` header for an access token. */
export function bearer(accessToken: string): { authorization: string } {
  return { authorization: `Bearer ${accessToken}` };
}

/** Registers a fresh customer (unique email) through the API. */
export async function registerUser(app: NestFastifyApplication, overrides: RegisterOverrides = {}): Promise<RegisteredUser> {
  const email = overrides.email ?? `${randomUUID()}@example.com`;
  const password = overrides.password ?? `pw-${randomUUID()}`;
  const name = overrides.name ?? 'Test User';
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    headers: { 'x-forwarded-for': randomClientIp(), ...overrides.headers },
    payload: { email, password, name },
  });
  if (res.statusCode !== 201) throw new Error(`registerUser: expected 201, got ${res.statusCode}: ${res.body}`);
  const body = res.json<{ user: TestUser; accessToken: string; refreshToken: string }>();
  return { user: body.user, accessToken: body.accessToken, refreshToken: body.refreshToken, email: body.user.email, password };
}

/** Registers a user, promotes it to admin, and returns a fresh token pair carrying the admin role. */
export async function createAdmin(app: NestFastifyApplication, overrides: RegisterOverrides = {}): Promise<RegisteredUser> {
  const registered = await registerUser(app, { name: 'Test Admin', ...overrides });
  await app.get(UsersService).setRole(registered.user.id, 'admin');
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/refresh',
    headers: { 'x-forwarded-for': randomClientIp() },
    payload: { refreshToken: registered.refreshToken },
  });
  if (res.statusCode !== 200) throw new Error(`createAdmin: refresh expected 200, got ${res.statusCode}: ${res.body}`);
  const body = res.json<{ user: TestUser; accessToken: string; refreshToken: string }>();
  return { ...registered, user: body.user, accessToken: body.accessToken, refreshToken: body.refreshToken };
}
