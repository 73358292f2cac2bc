import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { bearer, randomClientIp, registerUser } from '../support/auth.js';
import { createTestApp } from '../support/test-app.js';
import { decodeJwt } from './forge-jwt.js';

/** Sessions: listing, revocation, password change; effects on a second API instance (same Redis). */
describe('identity: sessions', () => {
  let a: NestFastifyApplication;
  let b: NestFastifyApplication;
  // No refresh grace window: reuse is detected at the second presentation (refresh-grace.e2e-spec.ts covers the window).
  const overrides = { LOGIN_THROTTLE_IP_LIMIT: '100000', LOGIN_THROTTLE_EMAIL_LIMIT: '100000', JWT_REFRESH_GRACE_SECONDS: '0' };

  beforeAll(async () => {
    a = await createTestApp(overrides);
    b = await createTestApp(overrides);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  const me = (app: NestFastifyApplication, token: string) => app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(token) });
  const login = async (app: NestFastifyApplication, email: string, password: string, userAgent = 'jest-agent') => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'user-agent': userAgent, 'x-forwarded-for': '198.51.100.7' },
      payload: { email, password },
    });
    expect(res.statusCode).toBe(200);
    return res.json<{ accessToken: string; refreshToken: string }>();
  };
  const sid = (token: string) => decodeJwt(token).sid as string;

  it('lists the caller’s active sessions with the current one marked', async () => {
    const u = await registerUser(a);
    const second = await login(a, u.email, u.password, 'Second/1.0');
    const res = await a.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: bearer(second.accessToken) });
    expect(res.statusCode).toBe(200);
    const sessions = res.json<
      {
        id: string;
        current: boolean;
        userAgent: string | null;
        ip: string | null;
        createdAt: string;
        lastUsedAt: string;
      }[]
    >();
    expect(sessions).toHaveLength(2);
    expect(sessions[0]).toEqual({
      id: sid(second.accessToken),
      current: true,
      userAgent: 'Second/1.0',
      ip: '198.51.100.7',
      createdAt: expect.any(String),
      lastUsedAt: expect.any(String),
    });
    expect(sessions[1]).toMatchObject({ id: sid(u.accessToken), current: false });
    expect(Object.keys(sessions[0]).sort()).toEqual(['createdAt', 'current', 'id', 'ip', 'lastUsedAt', 'userAgent']);
  });

  it('revokes one of the caller’s sessions: 204, its tokens fail at once on both instances', async () => {
    const u = await registerUser(a);
    const other = await login(a, u.email, u.password);
    expect((await me(a, other.accessToken)).statusCode).toBe(200);
    expect((await me(b, other.accessToken)).statusCode).toBe(200);

    const res = await a.inject({
      method: 'DELETE',
      url: `/api/v1/auth/sessions/${sid(other.accessToken)}`,
      headers: bearer(u.accessToken),
    });
    expect(res.statusCode).toBe(204);
    expect((await me(a, other.accessToken)).statusCode).toBe(401);
    expect((await me(b, other.accessToken)).statusCode).toBe(401);
    expect(
      (await b.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: other.refreshToken } })).statusCode,
    ).toBe(401);
    expect((await me(b, u.accessToken)).statusCode).toBe(200);

    const list = (await a.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: bearer(u.accessToken) })).json<
      {
        id: string;
      }[]
    >();
    expect(list.map((s) => s.id)).toEqual([sid(u.accessToken)]);
  });

  it('answers 404 for another user’s session and for an unknown id, 400 for a malformed one', async () => {
    const owner = await registerUser(a);
    const stranger = await registerUser(a);
    const del = (id: string) => a.inject({ method: 'DELETE', url: `/api/v1/auth/sessions/${id}`, headers: bearer(stranger.accessToken) });
    expect((await del(sid(owner.accessToken))).statusCode).toBe(404);
    expect((await del(randomUUID())).statusCode).toBe(404);
    const bad = await del('not-a-uuid');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toEqual([expect.stringMatching(/^id: /)]);
    expect((await me(a, owner.accessToken)).statusCode).toBe(200);
  });

  it('logout on one instance makes the access token fail at once on the other', async () => {
    const u = await registerUser(a);
    expect((await me(b, u.accessToken)).statusCode).toBe(200); // B has it cached as valid
    expect((await a.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(u.accessToken) })).statusCode).toBe(204);
    expect((await me(b, u.accessToken)).statusCode).toBe(401);
    expect((await me(a, u.accessToken)).statusCode).toBe(401);
  });

  it('refresh-token reuse detected on one instance revokes the session on the other', async () => {
    const u = await registerUser(a);
    const rotated = (await a.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: u.refreshToken } })).json();
    expect((await me(b, rotated.accessToken)).statusCode).toBe(200);
    expect((await b.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: u.refreshToken } })).statusCode).toBe(
      401,
    );
    expect((await me(a, rotated.accessToken)).statusCode).toBe(401);
  });

  it('a profile change on one instance is what the other serves next (in-process profile caches are invalidated)', async () => {
    const u = await registerUser(a);
    expect((await me(a, u.accessToken)).json().name).toBe('Test User');
    expect((await me(b, u.accessToken)).json().name).toBe('Test User');
    const patched = await a.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: bearer(u.accessToken),
      payload: { name: 'Changed On A' },
    });
    expect(patched.statusCode).toBe(200);
    expect((await me(b, u.accessToken)).json().name).toBe('Changed On A');
    expect((await me(a, u.accessToken)).json().name).toBe('Changed On A');
  });

  describe('password change', () => {
    it('needs currentPassword, checks it, and revokes the other sessions (not the current one)', async () => {
      const u = await registerUser(a);
      const other = await login(b, u.email, u.password);
      expect((await me(b, other.accessToken)).statusCode).toBe(200);
      const patch = (payload: object) => a.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: bearer(u.accessToken), payload });

      const missing = await patch({ password: 'brand-new-password' });
      expect(missing.statusCode).toBe(400);
      expect(missing.json().message).toEqual([expect.stringMatching(/^currentPassword: /)]);
      const wrong = await patch({ password: 'brand-new-password', currentPassword: 'not-it-at-all' });
      expect(wrong.statusCode).toBe(400);
      expect(wrong.json().message).toEqual([expect.stringMatching(/^currentPassword: /)]);
      const short = await patch({ password: 'short', currentPassword: u.password });
      expect(short.statusCode).toBe(400);
      expect(short.json().message).toEqual([expect.stringMatching(/^password: /)]);
      expect((await me(b, other.accessToken)).statusCode).toBe(200); // nothing changed yet

      const ok = await patch({ password: 'brand-new-password', currentPassword: u.password });
      expect(ok.statusCode).toBe(200);
      expect(ok.body).not.toMatch(/password/i);

      expect((await me(b, other.accessToken)).statusCode).toBe(401);
      expect((await me(a, other.accessToken)).statusCode).toBe(401);
      expect(
        (await a.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: other.refreshToken } })).statusCode,
      ).toBe(401);
      expect((await me(a, u.accessToken)).statusCode).toBe(200);
      expect((await me(b, u.accessToken)).statusCode).toBe(200);

      const oldPw = await a.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'x-forwarded-for': randomClientIp() },
        payload: { email: u.email, password: u.password },
      });
      expect(oldPw.statusCode).toBe(401);
      await login(a, u.email, 'brand-new-password');
    });
  });
});
