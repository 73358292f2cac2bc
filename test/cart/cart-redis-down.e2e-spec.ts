import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { registerUser } from '../support/auth.js';
import { ProductFactory, type Product } from '../support/catalog.js';
import { TcpProxy, hostPortOf } from '../support/tcp-proxy.js';
import { createTestApp } from '../support/test-app.js';
import { CART_TEST_ENV, CartClient } from './cart-fixtures.js';

/** Redis unreachable (a proxy in front of it is stopped): the cart answers 503, the rest still serves. */
describe('cart while Redis is down', () => {
  let proxy: TcpProxy;
  let app: NestFastifyApplication;
  let cart: CartClient;
  let product: Product;
  let guestToken: string;

  beforeAll(async () => {
    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';
    proxy = new TcpProxy(hostPortOf(redisUrl));
    await proxy.start();
    app = await createTestApp({ ...CART_TEST_ENV, REDIS_URL: proxy.rewrite(redisUrl) });
    cart = new CartClient(app);
    product = await (await ProductFactory.create(app)).product();
    guestToken = (await cart.add(product.id, 1)).headers['x-cart-token'] as string;
  });
  afterAll(async () => {
    await app?.close();
    await proxy?.stop();
  });

  it('cart routes → 503 `cart: temporarily unavailable` (no Redis text); health and product reads still answer; back when Redis is', async () => {
    await proxy.stop();
    // a guest without a token has no cart: nothing to read, no Redis needed
    expect((await cart.get()).json()).toMatchObject({ items: [], totalCents: 0 });
    const calls = [
      () => cart.get({ cartToken: guestToken }),
      () => cart.count({ cartToken: guestToken }),
      () => cart.add(product.id, 1),
      () => cart.add(product.id, 1, { cartToken: guestToken }),
      () => cart.set(product.id, 2, { cartToken: guestToken }),
      () => cart.remove(product.id, { cartToken: guestToken }),
      () => cart.clear({ cartToken: guestToken }),
    ];
    for (const call of calls) {
      const res = await call();
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ statusCode: 503, error: 'Service Unavailable', message: 'cart: temporarily unavailable' });
      expect(res.body).not.toMatch(/ECONNREFUSED|Connection is closed|Redis|stack/i);
    }
    expect((await app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: `/api/v1/products/${product.id}` })).statusCode).toBe(200);

    await proxy.start();
    const deadline = Date.now() + 15_000;
    let res = await cart.get({ cartToken: guestToken });
    while (res.statusCode !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      res = await cart.get({ cartToken: guestToken });
    }
    expect(res.statusCode).toBe(200);
    expect(res.json().items).toEqual([expect.objectContaining({ productId: product.id, quantity: 1 })]);
  });

  it('a signed-in user’s cart is 503 too, not an empty cart', async () => {
    const u = await registerUser(app);
    await proxy.stop();
    try {
      const res = await cart.get({ token: u.accessToken });
      // The session check falls back to Postgres, so the caller stays signed in; the cart itself
      // lives in Redis: 503, never a 200 with an empty cart and never a 401.
      expect(res.statusCode).toBe(503);
      expect(res.json().message).toBe('cart: temporarily unavailable');
    } finally {
      await proxy.start();
    }
  });
});
