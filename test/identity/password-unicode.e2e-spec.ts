import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { bearer, randomClientIp, registerUser } from '../support/auth.js';
import { createTestApp } from '../support/test-app.js';

/**
 * Passwords are hashed as UTF-8. A string with an unpaired surrogate has no UTF-8 form: encoders
 * replace each one with U+FFFD, so 'pass\ud800word', 'pass\udbffword' and 'pass\ufffdword' would
 * all be the same password. Identity refuses such strings (400 naming the field) instead.
 */
describe('identity: passwords with unpaired surrogates', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp({ LOGIN_THROTTLE_IP_LIMIT: '100000', LOGIN_THROTTLE_EMAIL_LIMIT: '100000' });
  });
  afterAll(async () => {
    await app.close();
  });

  const post = (url: string, payload: object) =>
    app.inject({ method: 'POST', url: `/api/v1${url}`, payload, headers: { 'x-forwarded-for': randomClientIp() } });
  const messages = (res: { json: () => { message: string | string[] } }): string[] => [res.json().message].flat();

  it('register refuses a password with a lone surrogate: 400 naming password, no account', async () => {
    const email = `${randomUUID()}@example.com`;
    for (const password of ['pass\ud800word-1', 'pass\udbffword-1', '\udc00leading-low-surrogate']) {
      const res = await post('/auth/register', { email, password, name: 'Lone' });
      expect(res.statusCode).toBe(400);
      expect(messages(res)).toEqual([expect.stringMatching(/^password: /)]);
    }
    // Nothing was created: the email is still free.
    expect((await post('/auth/register', { email, password: 'a-real-password', name: 'Lone' })).statusCode).toBe(201);
  });

  it('a password differing only in a lone surrogate never signs in as U+FFFD', async () => {
    const u = await registerUser(app, { password: 'pass\ufffdword-xyz' });
    for (const password of ['pass\ud800word-xyz', 'pass\udbffword-xyz']) {
      const res = await post('/auth/login', { email: u.email, password });
      expect(res.statusCode).toBe(400);
      expect(messages(res)).toEqual([expect.stringMatching(/^password: /)]);
    }
    expect((await post('/auth/login', { email: u.email, password: 'pass\ufffdword-xyz' })).statusCode).toBe(200);
  });

  it('well-formed astral characters (surrogate pairs) are fine', async () => {
    const u = await registerUser(app, { password: 'pass-\u{1F511}-word' });
    expect((await post('/auth/login', { email: u.email, password: 'pass-\u{1F511}-word' })).statusCode).toBe(200);
    expect((await post('/auth/login', { email: u.email, password: 'pass-\u{1F512}-word' })).statusCode).toBe(401);
  });

  it('PATCH /users/me refuses a lone surrogate in password or currentPassword, naming the field', async () => {
    const u = await registerUser(app, { password: 'pass\ufffdword-abc' });
    const patch = (payload: object) => app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: bearer(u.accessToken), payload });

    const current = await patch({ password: 'new-password-1', currentPassword: 'pass\ud800word-abc' });
    expect(current.statusCode).toBe(400);
    expect(messages(current)).toEqual([expect.stringMatching(/^currentPassword: /)]);

    const next = await patch({ password: 'new\udbffpassword', currentPassword: 'pass\ufffdword-abc' });
    expect(next.statusCode).toBe(400);
    expect(messages(next)).toEqual([expect.stringMatching(/^password: /)]);

    // Neither attempt changed the password.
    expect((await post('/auth/login', { email: u.email, password: 'pass\ufffdword-abc' })).statusCode).toBe(200);
    expect((await post('/auth/login', { email: u.email, password: 'new\ufffdpassword' })).statusCode).toBe(401);
  });
});
