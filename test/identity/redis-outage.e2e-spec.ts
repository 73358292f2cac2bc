import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { bearer, randomClientIp, registerUser } from '../support/auth.js';
import { hostPortOf, TcpProxy } from '../support/tcp-proxy.js';
import { createTestApp } from '../support/test-app.js';

/** Without Redis, auth falls back to Postgres: still correct (revocations hold), only slower. */
describe('identity: Redis outage', () => {
  const redis = new TcpProxy(hostPortOf(process.env.REDIS_URL!));
  let app: NestFastifyApplication;

  beforeAll(async () => {
    await redis.start();
    app = await createTestApp({ REDIS_URL: redis.rewrite(process.env.REDIS_URL!) });
  });
  afterAll(async () => {
    await app.close();
    await redis.stop();
  });

  const me = (token: string) => app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(token) });

  it('authenticates, signs in, refreshes and revokes while Redis is down', async () => {
    const u = await registerUser(app);
    const other = await registerUser(app);
    expect((await me(u.accessToken)).statusCode).toBe(200); // cached as valid in Redis
    await redis.stop();
    try {
      expect((await me(u.accessToken)).statusCode).toBe(200);
      const login = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'x-forwarded-for': randomClientIp() },
        payload: { email: u.email, password: u.password },
      });
      expect(login.statusCode).toBe(200);
      const refreshed = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/refresh',
        payload: { refreshToken: login.json().refreshToken },
      });
      expect(refreshed.statusCode).toBe(200);

      expect((await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(u.accessToken) })).statusCode).toBe(204);
      expect((await me(u.accessToken)).statusCode).toBe(401);
      expect((await me(refreshed.json().accessToken)).statusCode).toBe(200);
      const res = await me(other.accessToken);
      expect(res.statusCode).toBe(200);
    } finally {
      await redis.start();
    }
    // Back online: the revocation made during the outage still holds.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await me(u.accessToken)).statusCode).toBe(401);
    expect((await me(other.accessToken)).statusCode).toBe(200);
  });
});
