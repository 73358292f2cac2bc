import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { bearer, randomClientIp, registerUser } from '../support/auth.js';
import { hostPortOf, TcpProxy } from '../support/tcp-proxy.js';
import { createTestApp } from '../support/test-app.js';

/**
 * The sign-in limits never fail open: while Redis is unreachable they are counted in the process
 * (the default per-route limit, by contrast, lets requests through).
 */
describe('identity: sign-in limits while Redis is down', () => {
  const redis = new TcpProxy(hostPortOf(process.env.REDIS_URL!));
  let app: NestFastifyApplication;

  beforeAll(async () => {
    await redis.start();
    app = await createTestApp({
      REDIS_URL: redis.rewrite(process.env.REDIS_URL!),
      LOGIN_THROTTLE_EMAIL_LIMIT: '3',
      LOGIN_THROTTLE_IP_LIMIT: '5',
      LOGIN_THROTTLE_MAX_DELAY_MS: '20',
      REGISTER_THROTTLE_IP_LIMIT: '2',
      PASSWORD_CHECK_USER_LIMIT: '2',
    });
  });
  afterAll(async () => {
    await app.close();
    await redis.stop();
  });

  const login = (email: string, password: string, ip: string) =>
    app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'x-forwarded-for': ip }, payload: { email, password } });

  it('counts failed logins per (email, IP) and per IP in the process, and still lets the owner in', async () => {
    const owner = await registerUser(app);
    const other = await registerUser(app);
    await redis.stop();
    try {
      const stranger = randomClientIp();
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await login(owner.email, `guess-${i}`, stranger)).statusCode);
      expect(statuses).toEqual([401, 401, 401]);
      const blocked = await login(owner.email, owner.password, stranger);
      expect(blocked.statusCode).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expect(blocked.json()).toMatchObject({ statusCode: 429, error: 'Too Many Requests', requestId: blocked.headers['x-request-id'] });

      // The owner, from their own address, is not locked out.
      expect((await login(owner.email, owner.password, randomClientIp())).statusCode).toBe(200);

      // Per IP: five failures over any emails, then the IP is refused.
      const ip = randomClientIp();
      for (let i = 0; i < 5; i++) expect((await login(`${randomUUID()}@example.com`, 'whatever-pw', ip)).statusCode).toBe(401);
      expect((await login(other.email, other.password, ip)).statusCode).toBe(429);
      expect((await login(other.email, other.password, randomClientIp())).statusCode).toBe(200);
    } finally {
      await redis.start();
    }
  });

  it('limits registrations and password checks in the process too', async () => {
    const u = await registerUser(app);
    await redis.stop();
    try {
      const ip = randomClientIp();
      const register = () =>
        app.inject({
          method: 'POST',
          url: '/api/v1/auth/register',
          headers: { 'x-forwarded-for': ip },
          payload: { email: `${randomUUID()}@example.com`, password: 'long-enough-1', name: 'R' },
        });
      expect((await register()).statusCode).toBe(201);
      expect((await register()).statusCode).toBe(201);
      expect((await register()).statusCode).toBe(429);

      const patch = (currentPassword: string) =>
        app.inject({
          method: 'PATCH',
          url: '/api/v1/users/me',
          headers: { ...bearer(u.accessToken), 'x-forwarded-for': randomClientIp() },
          payload: { password: 'brand-new-password', currentPassword },
        });
      expect((await patch('wrong-1')).statusCode).toBe(400);
      expect((await patch('wrong-2')).statusCode).toBe(400);
      expect((await patch(u.password)).statusCode).toBe(429);
    } finally {
      await redis.start();
    }
  });
});
