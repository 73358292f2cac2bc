import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { bearer, createAdmin, registerUser, type RegisteredUser } from '../support/auth.js';
import { createTestApp } from '../support/test-app.js';

/** /users/me and the admin user routes. */
describe('identity: users', () => {
  let app: NestFastifyApplication;
  let admin: RegisteredUser;

  beforeAll(async () => {
    app = await createTestApp();
    admin = await createAdmin(app);
  });
  afterAll(async () => {
    await app.close();
  });

  const req = (method: 'GET' | 'PATCH', url: string, token?: string, payload?: object) =>
    app.inject({ method, url: `/api/v1${url}`, headers: token ? bearer(token) : {}, ...(payload ? { payload } : {}) });

  describe('GET/PATCH /users/me', () => {
    it('returns exactly { id, email, name, role, createdAt }', async () => {
      const u = await registerUser(app, { name: 'Grace' });
      const res = await req('GET', '/users/me', u.accessToken);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ id: u.user.id, email: u.email, name: 'Grace', role: 'customer', createdAt: u.user.createdAt });
    });

    it('needs a token', async () => {
      const res = await req('GET', '/users/me');
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({
        statusCode: 401,
        error: 'Unauthorized',
        message: expect.any(String),
        requestId: expect.any(String),
      });
    });

    it('changes the name; the next read shows it', async () => {
      const u = await registerUser(app);
      expect((await req('GET', '/users/me', u.accessToken)).json().name).toBe('Test User'); // cached
      const res = await req('PATCH', '/users/me', u.accessToken, { name: '  Grace Hopper ' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ id: u.user.id, name: 'Grace Hopper', role: 'customer' });
      expect((await req('GET', '/users/me', u.accessToken)).json().name).toBe('Grace Hopper');
    });

    it.each([
      ['role', { role: 'admin' }],
      ['email', { email: 'new@example.com' }],
      ['id', { id: randomUUID() }],
      ['passwordHash', { passwordHash: 'x' }],
    ])('rejects mass assignment of %s with 400 naming it, and changes nothing', async (field, payload) => {
      const u = await registerUser(app);
      const res = await req('PATCH', '/users/me', u.accessToken, { name: 'Sneaky', ...payload });
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^${field}: `))]));
      expect((await req('GET', '/users/me', u.accessToken)).json()).toMatchObject({ name: 'Test User', role: 'customer', email: u.email });
    });

    it('rejects an empty name', async () => {
      const u = await registerUser(app);
      const res = await req('PATCH', '/users/me', u.accessToken, { name: '   ' });
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toEqual([expect.stringMatching(/^name: /)]);
    });
  });

  describe('GET /users (admin)', () => {
    it('pages through users as { items, total, page, limit }', async () => {
      await registerUser(app);
      await registerUser(app);
      const res = await req('GET', '/users?page=1&limit=2', admin.accessToken);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toEqual({ items: expect.any(Array), total: expect.any(Number), page: 1, limit: 2 });
      expect(body.items).toHaveLength(2);
      expect(body.total).toBeGreaterThanOrEqual(3);
      expect(Object.keys(body.items[0]).sort()).toEqual(['createdAt', 'email', 'id', 'name', 'role']);
      expect(res.body).not.toMatch(/password|hash|argon/i);
      const page2 = (await req('GET', '/users?page=2&limit=2', admin.accessToken)).json();
      expect(page2.page).toBe(2);
      expect(page2.items.map((u: { id: string }) => u.id)).not.toContain(body.items[0].id);
      const defaults = (await req('GET', '/users', admin.accessToken)).json();
      expect(defaults).toMatchObject({ page: 1, limit: 20 });
    });

    it.each(['limit=0', 'limit=101', 'limit=abc', 'page=0', 'page=1.5'])('answers 400 for %s', async (query) => {
      const res = await req('GET', `/users?${query}`, admin.accessToken);
      expect(res.statusCode).toBe(400);
      const messages: string[] = res.json().message;
      expect(messages.length).toBeGreaterThan(0);
      expect(messages.every((m) => m.startsWith(`${query.split('=')[0]}: `))).toBe(true);
    });

    it('accepts limit=100 and limit=1', async () => {
      expect((await req('GET', '/users?limit=100', admin.accessToken)).statusCode).toBe(200);
      expect((await req('GET', '/users?limit=1', admin.accessToken)).json().items).toHaveLength(1);
    });

    it('answers 403 to a customer and 401 without a token', async () => {
      const u = await registerUser(app);
      const res = await req('GET', '/users', u.accessToken);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ statusCode: 403, error: 'Forbidden' });
      expect((await req('GET', '/users')).statusCode).toBe(401);
    });
  });

  describe('PATCH /users/:id (admin)', () => {
    it('changes the role; it applies to the user’s live tokens at once, both ways', async () => {
      const u = await registerUser(app);
      expect((await req('GET', '/users', u.accessToken)).statusCode).toBe(403);
      const promoted = await req('PATCH', `/users/${u.user.id}`, admin.accessToken, { role: 'admin' });
      expect(promoted.statusCode).toBe(200);
      expect(promoted.json()).toEqual({ ...u.user, role: 'admin' });
      expect((await req('GET', '/users', u.accessToken)).statusCode).toBe(200);
      expect((await req('GET', '/users/me', u.accessToken)).json().role).toBe('admin');

      expect((await req('PATCH', `/users/${u.user.id}`, admin.accessToken, { role: 'customer' })).statusCode).toBe(200);
      expect((await req('GET', '/users', u.accessToken)).statusCode).toBe(403);
    });

    it('answers 400 for a malformed id, 404 for an unknown one, 400 for a bad role or extra fields', async () => {
      const bad = await req('PATCH', '/users/not-a-uuid', admin.accessToken, { role: 'admin' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().message).toEqual([expect.stringMatching(/^id: /)]);
      expect((await req('PATCH', `/users/${randomUUID()}`, admin.accessToken, { role: 'admin' })).statusCode).toBe(404);
      const u = await registerUser(app);
      const role = await req('PATCH', `/users/${u.user.id}`, admin.accessToken, { role: 'root' });
      expect(role.statusCode).toBe(400);
      expect(role.json().message).toEqual([expect.stringMatching(/^role: /)]);
      const extra = await req('PATCH', `/users/${u.user.id}`, admin.accessToken, { role: 'admin', email: 'x@example.com' });
      expect(extra.statusCode).toBe(400);
      expect(extra.json().message).toEqual(expect.arrayContaining([expect.stringMatching(/^email: /)]));
    });

    it('answers 403 to a customer', async () => {
      const u = await registerUser(app);
      expect((await req('PATCH', `/users/${u.user.id}`, u.accessToken, { role: 'admin' })).statusCode).toBe(403);
      expect((await req('GET', '/users/me', u.accessToken)).json().role).toBe('customer');
    });
  });
});
