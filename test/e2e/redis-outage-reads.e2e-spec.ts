import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { bearer, randomClientIp, registerUser } from '../support/auth.js';
import { ProductFactory } from '../support/catalog.js';
import { hostPortOf, TcpProxy } from '../support/tcp-proxy.js';
import { createTestApp } from '../support/test-app.js';

/**
 * Redis unreachable (a proxy in front of it is stopped), no L1 to hide it: profiles and sign-in
 * checks come from Postgres, catalog reads too, readiness says degraded (200), and only the cart,
 * whose data lives in Redis, answers 503 with Retry-After.
 */
describe('Redis outage: what keeps working from Postgres', () => {
  const redis = new TcpProxy(hostPortOf(process.env.REDIS_URL!));
  let app: NestFastifyApplication;

  beforeAll(async () => {
    await redis.start();
    app = await createTestApp({ THROTTLE_LIMIT: '1000000', CACHE_L1_ENABLED: 'false', REDIS_URL: redis.rewrite(process.env.REDIS_URL!) });
  });
  afterAll(async () => {
    await app?.close();
    await redis.stop();
  });

  it('profile reads, sign-in, token checks and catalog reads answer; readiness is 200 degraded; the cart is 503 with Retry-After', async () => {
    const user = await registerUser(app);
    const product = await (await ProductFactory.create(app)).product();
    await redis.stop();
    try {
      const me = await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(user.accessToken) });
      expect(me.statusCode).toBe(200);
      expect(me.json()).toMatchObject({ id: user.user.id, email: user.email, role: 'customer' });
      expect(me.body).not.toMatch(/password|hash/i);

      const login = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'x-forwarded-for': randomClientIp() },
        payload: { email: user.email, password: user.password },
      });
      expect(login.statusCode).toBe(200);
      const again = await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(login.json().accessToken) });
      expect(again.statusCode).toBe(200);
      const wrong = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'x-forwarded-for': randomClientIp() },
        payload: { email: user.email, password: 'not-the-password' },
      });
      expect(wrong.statusCode).toBe(401);

      expect((await app.inject({ method: 'GET', url: `/api/v1/products/${product.id}` })).json()).toMatchObject({ id: product.id });
      expect((await app.inject({ method: 'GET', url: '/api/v1/categories' })).statusCode).toBe(200);

      const ready = await app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toMatchObject({ status: 'degraded', details: { redis: { status: 'down' }, postgresPrimary: { status: 'up' } } });

      const cart = await app.inject({
        method: 'POST',
        url: '/api/v1/cart/items',
        headers: bearer(user.accessToken),
        payload: { productId: product.id, quantity: 1 },
      });
      expect(cart.statusCode).toBe(503);
      expect(Number(cart.headers['retry-after'])).toBeGreaterThan(0);
      expect(cart.json()).toMatchObject({ statusCode: 503, message: 'cart: temporarily unavailable' });
    } finally {
      await redis.start();
    }
    // Back: readiness ok again once the client reconnected.
    const deadline = Date.now() + 15_000;
    let status = '';
    while (status !== 'ok' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      status = (await app.inject({ method: 'GET', url: '/health/ready' })).json().status;
    }
    expect(status).toBe('ok');
  });
});
