import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { PasswordHasher } from '../../libs/identity/src/services/password-hasher.service.js';
import { bearer, randomClientIp, registerUser } from '../support/auth.js';
import { createTestApp } from '../support/test-app.js';

/**
 * What costs a password hash or checks a password is limited: registrations per IP, currentPassword
 * checks per user and per IP, and argon2 work in flight per process.
 */
describe('identity: password checks and hashing limits', () => {
  let a: NestFastifyApplication;
  let b: NestFastifyApplication;
  const overrides = {
    REGISTER_THROTTLE_IP_LIMIT: '3',
    PASSWORD_CHECK_USER_LIMIT: '3',
    PASSWORD_CHECK_IP_LIMIT: '5',
    THROTTLE_LIMIT: '100000',
  };

  beforeAll(async () => {
    a = await createTestApp(overrides);
    b = await createTestApp(overrides);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  const register = (app: NestFastifyApplication, ip: string, email = `${randomUUID()}@example.com`) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: { 'x-forwarded-for': ip },
      payload: { email, password: 'long-enough-1', name: 'Reg' },
    });
  const patchMe = (app: NestFastifyApplication, token: string, ip: string, payload: object) =>
    app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: { ...bearer(token), 'x-forwarded-for': ip }, payload });

  describe('register', () => {
    it('is limited per IP across instances: 429 with Retry-After and the contract body; other IPs unaffected', async () => {
      const ip = randomClientIp();
      expect((await register(a, ip)).statusCode).toBe(201);
      expect((await register(b, ip)).statusCode).toBe(201);
      expect((await register(a, ip)).statusCode).toBe(201);
      const blocked = await register(b, ip);
      expect(blocked.statusCode).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expect(blocked.json()).toEqual({
        statusCode: 429,
        error: 'Too Many Requests',
        message: expect.any(String),
        requestId: blocked.headers['x-request-id'],
      });
      expect((await register(a, randomClientIp())).statusCode).toBe(201);
    });

    it('invalid bodies (400) do not use up the limit', async () => {
      const ip = randomClientIp();
      for (let i = 0; i < 5; i++) {
        const res = await a.inject({
          method: 'POST',
          url: '/api/v1/auth/register',
          headers: { 'x-forwarded-for': ip },
          payload: { email: 'nope', password: 'x', name: '' },
        });
        expect(res.statusCode).toBe(400);
      }
      expect((await register(a, ip)).statusCode).toBe(201);
    });

    it('answers a taken email 409 as before, without hashing the password', async () => {
      const taken = await registerUser(a);
      // The real hasher, counting its calls.
      const hasher = a.get(PasswordHasher, { strict: false });
      const original = hasher.hash;
      let hashes = 0;
      hasher.hash = (password: string) => (hashes++, original.call(hasher, password));
      try {
        const res = await register(a, randomClientIp(), ` ${taken.email.toUpperCase()} `);
        expect(res.statusCode).toBe(409);
        expect(res.json()).toMatchObject({ statusCode: 409, error: 'Conflict', message: expect.stringMatching(/email/) });
        expect(hashes).toBe(0);
        // A free email is still hashed, once.
        expect((await register(a, randomClientIp())).statusCode).toBe(201);
        expect(hashes).toBe(1);
      } finally {
        hasher.hash = original;
      }
    });
  });

  describe('PATCH /users/me currentPassword checks', () => {
    it('are limited per user: after 3 wrong ones even the right one is refused (429), from any IP and instance', async () => {
      const u = await registerUser(a);
      for (let i = 0; i < 3; i++) {
        const wrong = await patchMe(i % 2 ? b : a, u.accessToken, randomClientIp(), {
          password: 'brand-new-password',
          currentPassword: `wrong-${i}`,
        });
        expect(wrong.statusCode).toBe(400);
        expect(wrong.json().message).toEqual([expect.stringMatching(/^currentPassword: /)]);
      }
      const blocked = await patchMe(b, u.accessToken, randomClientIp(), { password: 'brand-new-password', currentPassword: u.password });
      expect(blocked.statusCode).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expect(blocked.json()).toMatchObject({ statusCode: 429, error: 'Too Many Requests', requestId: blocked.headers['x-request-id'] });
      // The password did not change; a name-only change is not a password check and still works.
      expect(
        (
          await a.inject({
            method: 'POST',
            url: '/api/v1/auth/login',
            headers: { 'x-forwarded-for': randomClientIp() },
            payload: { email: u.email, password: u.password },
          })
        ).statusCode,
      ).toBe(200);
      expect((await patchMe(a, u.accessToken, randomClientIp(), { name: 'Still Me' })).statusCode).toBe(200);
      // Another user is not affected.
      const other = await registerUser(a);
      expect(
        (await patchMe(a, other.accessToken, randomClientIp(), { password: 'brand-new-password', currentPassword: other.password }))
          .statusCode,
      ).toBe(200);
    });

    it('a right currentPassword clears the user’s wrong ones', async () => {
      const u = await registerUser(a);
      const ip = randomClientIp;
      expect((await patchMe(a, u.accessToken, ip(), { password: 'second-password', currentPassword: 'wrong' })).statusCode).toBe(400);
      expect((await patchMe(a, u.accessToken, ip(), { password: 'second-password', currentPassword: 'wrong' })).statusCode).toBe(400);
      expect((await patchMe(a, u.accessToken, ip(), { password: 'second-password', currentPassword: u.password })).statusCode).toBe(200);
      expect((await patchMe(a, u.accessToken, ip(), { password: 'third-password', currentPassword: 'wrong' })).statusCode).toBe(400);
      expect((await patchMe(a, u.accessToken, ip(), { password: 'third-password', currentPassword: 'wrong' })).statusCode).toBe(400);
      expect((await patchMe(a, u.accessToken, ip(), { password: 'third-password', currentPassword: 'second-password' })).statusCode).toBe(
        200,
      );
    });

    it('are limited per IP over many users', async () => {
      const ip = randomClientIp();
      const users = await Promise.all(Array.from({ length: 6 }, () => registerUser(a)));
      for (const u of users.slice(0, 5)) {
        expect((await patchMe(a, u.accessToken, ip, { password: 'brand-new-password', currentPassword: 'wrong' })).statusCode).toBe(400);
      }
      const blocked = await patchMe(b, users[5].accessToken, ip, { password: 'brand-new-password', currentPassword: users[5].password });
      expect(blocked.statusCode).toBe(429);
      expect(
        (await patchMe(b, users[5].accessToken, randomClientIp(), { password: 'brand-new-password', currentPassword: users[5].password }))
          .statusCode,
      ).toBe(200);
    });
  });

  describe('argon2 work in flight (PASSWORD_HASH_CONCURRENCY)', () => {
    let tight: NestFastifyApplication;
    beforeAll(async () => {
      tight = await createTestApp({ PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_MAX_WAIT_MS: '0', THROTTLE_LIMIT: '100000' });
    });
    afterAll(async () => {
      await tight.close();
    });

    it('beyond the cap, registrations get 503 with Retry-After and the contract body, never a 500; the others succeed', async () => {
      const results = await Promise.all(Array.from({ length: 8 }, () => register(tight, randomClientIp())));
      const statuses = results.map((r) => r.statusCode);
      expect(statuses.every((s) => s === 201 || s === 503)).toBe(true);
      expect(statuses).toContain(201);
      const busy = results.find((r) => r.statusCode === 503);
      expect(busy).toBeDefined();
      expect(busy!.headers['retry-after']).toBe('1');
      expect(busy!.json()).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: expect.any(String),
        requestId: busy!.headers['x-request-id'],
      });
      // Once the burst is over, hashing goes through again.
      const again = await register(tight, randomClientIp());
      expect(again.statusCode).toBe(201);
    });

    it('logins are capped the same way (a 503, not a 401, so a client retries)', async () => {
      const u = await registerUser(tight);
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          tight.inject({
            method: 'POST',
            url: '/api/v1/auth/login',
            headers: { 'x-forwarded-for': randomClientIp() },
            payload: { email: u.email, password: u.password },
          }),
        ),
      );
      const statuses = results.map((r) => r.statusCode);
      expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
      expect(statuses).toContain(200);
      expect(statuses).toContain(503);
    });
  });
});
