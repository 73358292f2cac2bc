import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { bearer, randomClientIp, registerUser } from '../support/auth.js';
import { createTestApp } from '../support/test-app.js';
import { decodeJwt } from './forge-jwt.js';

/** Register, login, refresh rotation and reuse detection, logout. */
describe('identity: auth flows', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    // No refresh grace window here: a second presentation is reuse at once (refresh-grace.e2e-spec.ts covers the window).
    app = await createTestApp({ LOGIN_THROTTLE_IP_LIMIT: '100000', LOGIN_THROTTLE_EMAIL_LIMIT: '100000', JWT_REFRESH_GRACE_SECONDS: '0' });
  });
  afterAll(async () => {
    await app.close();
  });

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url: `/api/v1${url}`,
      payload: payload as object,
      headers: { 'x-forwarded-for': randomClientIp(), ...headers },
    });
  const me = (accessToken: string) => app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(accessToken) });

  describe('register', () => {
    it('creates a customer and answers 201 with the user and a token pair', async () => {
      const email = `  ${randomUUID().toUpperCase()}@Example.COM `;
      const res = await post('/auth/register', { email, password: 'long-enough-1', name: ' Ada ' });
      expect(res.statusCode).toBe(201);
      expect(res.headers['cache-control']).toBe('no-store');
      const body = res.json();
      expect(body).toEqual({
        user: { id: expect.any(String), email: email.trim().toLowerCase(), name: 'Ada', role: 'customer', createdAt: expect.any(String) },
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        expiresIn: 900,
      });
      expect(new Date(body.user.createdAt).toISOString()).toBe(body.user.createdAt);
      const claims = decodeJwt(body.accessToken);
      expect(claims).toMatchObject({ sub: body.user.id, role: 'customer', typ: 'access', iss: 'nest-commerce', aud: 'nest-commerce-api' });
      expect(typeof claims.sid).toBe('string');
      expect(body.refreshToken.startsWith(`${claims.sid as string}.`)).toBe(true);
      expect((await me(body.accessToken)).statusCode).toBe(200);
    });

    it('answers 409 for a taken email, whatever its case and spacing', async () => {
      const { email } = await registerUser(app);
      const res = await post('/auth/register', { email: ` ${email.toUpperCase()}`, password: 'long-enough-1', name: 'Dup' });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ statusCode: 409, error: 'Conflict', message: expect.stringMatching(/email/) });
    });

    it('answers 400 for a password shorter than 8, naming the field', async () => {
      const res = await post('/auth/register', { email: `${randomUUID()}@example.com`, password: 'short7!', name: 'X' });
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toEqual([expect.stringMatching(/^password: /)]);
    });

    it('names every missing or invalid field', async () => {
      const res = await post('/auth/register', { email: 'not-an-email', name: '' });
      expect(res.statusCode).toBe(400);
      const fields = (res.json().message as string[]).map((m) => m.split(':')[0]);
      expect(new Set(fields)).toEqual(new Set(['email', 'password', 'name']));
    });

    it('rejects mass assignment of role with 400 and creates nothing', async () => {
      const email = `${randomUUID()}@example.com`;
      const res = await post('/auth/register', { email, password: 'long-enough-1', name: 'Mallory', role: 'admin' });
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toEqual(expect.arrayContaining([expect.stringMatching(/^role: /)]));
      const login = await post('/auth/login', { email, password: 'long-enough-1' });
      expect(login.statusCode).toBe(401);
    });
  });

  describe('login', () => {
    it('answers 200 with the same shape, email matched case-insensitively', async () => {
      const u = await registerUser(app);
      const res = await post('/auth/login', { email: ` ${u.email.toUpperCase()} `, password: u.password });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ user: u.user, accessToken: expect.any(String), refreshToken: expect.any(String), expiresIn: 900 });
      expect(decodeJwt(res.json().accessToken).sid).not.toBe(decodeJwt(u.accessToken).sid);
    });

    it('answers 401 with one message for an unknown email and a wrong password', async () => {
      const u = await registerUser(app);
      const wrong = await post('/auth/login', { email: u.email, password: 'wrong-password' });
      const unknown = await post('/auth/login', { email: `${randomUUID()}@example.com`, password: u.password });
      expect(wrong.statusCode).toBe(401);
      expect(unknown.statusCode).toBe(401);
      expect(wrong.json().message).toBe(unknown.json().message);
      expect(wrong.json()).toMatchObject({ statusCode: 401, error: 'Unauthorized', requestId: expect.any(String) });
    });

    it('answers 400 for a missing password', async () => {
      const res = await post('/auth/login', { email: 'a@example.com' });
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toEqual(expect.arrayContaining([expect.stringMatching(/^password: /)]));
    });
  });

  describe('refresh', () => {
    it('rotates: a new pair works, the old refresh token stops working', async () => {
      const u = await registerUser(app);
      const first = await post('/auth/refresh', { refreshToken: u.refreshToken });
      expect(first.statusCode).toBe(200);
      const pair = first.json();
      expect(pair).toEqual({ user: u.user, accessToken: expect.any(String), refreshToken: expect.any(String), expiresIn: 900 });
      expect(pair.refreshToken).not.toBe(u.refreshToken);
      expect(decodeJwt(pair.accessToken).sid).toBe(decodeJwt(u.accessToken).sid);
      expect((await me(pair.accessToken)).statusCode).toBe(200);

      const second = await post('/auth/refresh', { refreshToken: pair.refreshToken });
      expect(second.statusCode).toBe(200);
    });

    it('reuse of a consumed token answers 401 and revokes the whole session', async () => {
      const u = await registerUser(app);
      const rotated = (await post('/auth/refresh', { refreshToken: u.refreshToken })).json();
      expect((await me(rotated.accessToken)).statusCode).toBe(200);

      const reuse = await post('/auth/refresh', { refreshToken: u.refreshToken });
      expect(reuse.statusCode).toBe(401);

      // The newest refresh token and every access token of that session are dead now.
      expect((await post('/auth/refresh', { refreshToken: rotated.refreshToken })).statusCode).toBe(401);
      expect((await me(rotated.accessToken)).statusCode).toBe(401);
      expect((await me(u.accessToken)).statusCode).toBe(401);
    });

    it('reuse revokes only that session, not the user’s others', async () => {
      const u = await registerUser(app);
      const other = (await post('/auth/login', { email: u.email, password: u.password })).json();
      await post('/auth/refresh', { refreshToken: u.refreshToken });
      expect((await post('/auth/refresh', { refreshToken: u.refreshToken })).statusCode).toBe(401);
      expect((await me(other.accessToken)).statusCode).toBe(200);
    });

    it('two concurrent refreshes of one token produce at most one successor', async () => {
      for (let round = 0; round < 3; round++) {
        const u = await registerUser(app);
        const results = await Promise.all(Array.from({ length: 5 }, () => post('/auth/refresh', { refreshToken: u.refreshToken })));
        const ok = results.filter((r) => r.statusCode === 200);
        expect(ok.length).toBeLessThanOrEqual(1);
        expect(results.every((r) => r.statusCode === 200 || r.statusCode === 401)).toBe(true);
      }
    });

    it('never accepts an access token as a refresh token', async () => {
      const u = await registerUser(app);
      const res = await post('/auth/refresh', { refreshToken: u.accessToken });
      expect(res.statusCode).toBe(401);
      // …and that attempt did not count as reuse of anything.
      expect((await post('/auth/refresh', { refreshToken: u.refreshToken })).statusCode).toBe(200);
    });

    it('answers 401 for garbage and for a forged token of a real session', async () => {
      const u = await registerUser(app);
      const sid = decodeJwt(u.accessToken).sid as string;
      for (const refreshToken of ['nope', `${sid}.${'A'.repeat(43)}`, `${randomUUID()}.${'b'.repeat(43)}`]) {
        expect((await post('/auth/refresh', { refreshToken })).statusCode).toBe(401);
      }
      expect((await post('/auth/refresh', { refreshToken: u.refreshToken })).statusCode).toBe(200);
    });

    it('answers 400 without a refreshToken', async () => {
      const res = await post('/auth/refresh', {});
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toEqual(expect.arrayContaining([expect.stringMatching(/^refreshToken: /)]));
    });
  });

  describe('logout', () => {
    it('answers 204; the access and refresh tokens stop working at once', async () => {
      const u = await registerUser(app);
      expect((await me(u.accessToken)).statusCode).toBe(200); // cached as valid first
      const res = await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(u.accessToken) });
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');
      expect((await me(u.accessToken)).statusCode).toBe(401);
      expect((await post('/auth/refresh', { refreshToken: u.refreshToken })).statusCode).toBe(401);
      expect((await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(u.accessToken) })).statusCode).toBe(401);
    });

    it('needs a token', async () => {
      expect((await app.inject({ method: 'POST', url: '/api/v1/auth/logout' })).statusCode).toBe(401);
    });
  });

  it('never sends a password hash', async () => {
    const u = await registerUser(app);
    const admin = await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(u.accessToken) });
    const login = await post('/auth/login', { email: u.email, password: u.password });
    const refreshed = await post('/auth/refresh', { refreshToken: login.json().refreshToken });
    const patched = await app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: bearer(u.accessToken),
      payload: { name: 'Renamed' },
    });
    for (const res of [admin, login, refreshed, patched]) {
      expect(res.body).not.toMatch(/argon2|password|hash/i);
    }
  });
});
