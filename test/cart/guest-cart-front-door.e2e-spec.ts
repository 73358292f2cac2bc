import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Response as InjectResponse } from 'light-my-request';
import { registerUser } from '../support/auth.js';
import { ProductFactory, type Product } from '../support/catalog.js';
import { createTestApp } from '../support/test-app.js';
import { MetricsRegistry } from '../../apps/api/src/metrics/metrics.registry.js';
import { CART_TEST_ENV, CartClient } from './cart-fixtures.js';

/**
 * GET /cart of a guest over a real connection: answered before Fastify (apps/api/src/http/front-door.ts,
 * cart/http/guest-cart-front-route.ts) with what the controller answers through inject().
 */
describe('guest cart before Fastify', () => {
  let app: NestFastifyApplication;
  let cart: CartClient;
  let base: string;
  let a: Product;
  let b: Product;
  let answered: () => number;

  beforeAll(async () => {
    app = await createTestApp(CART_TEST_ENV);
    cart = new CartClient(app);
    [a, b] = await (await ProductFactory.create(app)).products(2, { stock: 1000 });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
    answered = () => app.get(MetricsRegistry).frontDoor.get('/api/v1/cart') ?? 0;
  });
  afterAll(() => app.close());

  /** Headers both paths agree on (per-request values and connection headers aside). */
  const stable = (headers: Record<string, unknown>): Record<string, unknown> => {
    const { date: _d, connection: _c, 'keep-alive': _k, 'x-request-id': _id, 'x-ratelimit-remaining': _r, ...rest } = headers;
    return rest;
  };

  it('answers a guest cart with the body and headers of the controller', async () => {
    const first = await cart.add(a.id, 2);
    const token = first.headers['x-cart-token'] as string;
    await cart.add(b.id, 1, { cartToken: token });
    const viaFastify: InjectResponse = await cart.get({ cartToken: token });
    const before = answered();
    const res = await fetch(`${base}/api/v1/cart`, { headers: { 'x-cart-token': token } });
    const body = await res.text();
    expect(answered()).toBe(before + 1);
    expect(res.status).toBe(200);
    expect(body).toBe(viaFastify.body);
    expect(JSON.parse(body)).toMatchObject({
      totalQuantity: 3,
      items: [
        { productId: a.id, quantity: 2 },
        { productId: b.id, quantity: 1 },
      ],
    });
    expect(stable(Object.fromEntries(res.headers))).toEqual(stable(viaFastify.headers));
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-cart-token')).toBe(token);
    // A change shows at once: nothing of the cart is cached in front of Redis.
    await cart.add(a.id, 1, { cartToken: token });
    const after = await fetch(`${base}/api/v1/cart`, { headers: { 'x-cart-token': token } });
    expect((await after.json()) as { totalQuantity: number }).toMatchObject({ totalQuantity: 4 });
    expect(answered()).toBe(before + 2);
  });

  it('leaves no token, an invalid token and a caller with a token of its own to the controller', async () => {
    const token = (await cart.add(a.id, 1)).headers['x-cart-token'] as string;
    const before = answered();
    const none = await fetch(`${base}/api/v1/cart`);
    expect(none.status).toBe(200);
    expect(((await none.json()) as { items: unknown[] }).items).toEqual([]);
    const forged = await fetch(`${base}/api/v1/cart`, { headers: { 'x-cart-token': `${token.slice(0, -2)}xx` } });
    expect(forged.status).toBe(400);
    expect(await forged.json()).toMatchObject({ message: ['x-cart-token: is invalid'] });
    const user = await registerUser(app);
    const mine = await fetch(`${base}/api/v1/cart`, { headers: { authorization: `Bearer ${user.accessToken}`, 'x-cart-token': token } });
    expect(mine.status).toBe(200);
    expect(((await mine.json()) as { items: unknown[] }).items).toEqual([]); // the user's cart, not the guest's
    const broken = await fetch(`${base}/api/v1/cart`, { headers: { authorization: 'Bearer nope', 'x-cart-token': token } });
    expect(broken.status).toBe(401);
    expect(answered()).toBe(before);
  });
});
