import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { CartStore, guestCart, userCart } from '../../libs/cart/src/store/cart.store.js';
import { CartTokenService } from '../../libs/cart/src/services/cart-token.service.js';
import { registerUser } from '../support/auth.js';
import { ProductFactory, type Product } from '../support/catalog.js';
import { createTestApp } from '../support/test-app.js';
import { CART_TEST_ENV, CartClient, redisOf, type CartBody } from './cart-fixtures.js';

const USER_TTL_MS = 40_000;
const GUEST_TTL_MS = 20_000;

/** Sliding expiry with short TTLs (config overrides); PTTL is asserted instead of sleeping. */
describe('cart expiry', () => {
  let app: NestFastifyApplication;
  let cart: CartClient;
  let store: CartStore;
  let product: Product;

  beforeAll(async () => {
    app = await createTestApp({
      ...CART_TEST_ENV,
      CART_USER_TTL_SECONDS: String(USER_TTL_MS / 1000),
      CART_GUEST_TTL_SECONDS: String(GUEST_TTL_MS / 1000),
    });
    cart = new CartClient(app);
    store = app.get(CartStore);
    product = await (await ProductFactory.create(app)).product();
  });
  afterAll(async () => {
    await app.close();
  });

  /** Pretend time passed: both keys down to `ms` left. */
  const age = async (ref: Parameters<CartStore['keys']>[0], ms: number) => {
    for (const key of store.keys(ref)) await redisOf(app).pexpire(key, ms);
  };
  const expectFresh = async (ref: Parameters<CartStore['keys']>[0], ttl: number) => {
    for (const left of await store.pttl(ref)) {
      expect(left).toBeGreaterThan(ttl - 5_000);
      expect(left).toBeLessThanOrEqual(ttl);
    }
  };

  it('user carts live CART_USER_TTL_SECONDS, refreshed by every read and write', async () => {
    const u = await registerUser(app);
    const ref = userCart(u.user.id);
    await cart.add(product.id, 1, { token: u.accessToken });
    await expectFresh(ref, USER_TTL_MS);
    for (const call of [
      () => cart.get({ token: u.accessToken }),
      () => cart.count({ token: u.accessToken }),
      () => cart.add(product.id, 1, { token: u.accessToken }),
      () => cart.set(product.id, 5, { token: u.accessToken }),
    ]) {
      await age(ref, 3_000);
      expect((await call()).statusCode).toBe(200);
      await expectFresh(ref, USER_TTL_MS);
    }
    await age(ref, 3_000);
    await cart.remove('00000000-0000-4000-8000-000000000000', { token: u.accessToken });
    await expectFresh(ref, USER_TTL_MS);
  });

  it('guest carts live CART_GUEST_TTL_SECONDS, refreshed the same way', async () => {
    const token = (await cart.add(product.id, 1)).headers['x-cart-token'] as string;
    const ref = guestCart(app.get(CartTokenService).verify(token)!);
    await expectFresh(ref, GUEST_TTL_MS);
    await age(ref, 2_000);
    await cart.get({ cartToken: token });
    await expectFresh(ref, GUEST_TTL_MS);
    await age(ref, 2_000);
    await cart.add(product.id, 1, { cartToken: token });
    await expectFresh(ref, GUEST_TTL_MS);
  });

  it('an expired cart is gone, and its token starts a new empty cart', async () => {
    const token = (await cart.add(product.id, 2)).headers['x-cart-token'] as string;
    const ref = guestCart(app.get(CartTokenService).verify(token)!);
    await age(ref, 50);
    await new Promise((r) => setTimeout(r, 120));
    expect(await store.pttl(ref)).toEqual([-2, -2]);
    expect((await cart.get({ cartToken: token })).json()).toMatchObject({ items: [], updatedAt: null });
    const again = await cart.add(product.id, 1, { cartToken: token });
    expect(again.json<CartBody>().items[0].quantity).toBe(1);
  });

  it('merged lines take the user TTL', async () => {
    const token = (await cart.add(product.id, 2)).headers['x-cart-token'] as string;
    const u = await registerUser(app, { headers: { 'x-cart-token': token } });
    await expectFresh(userCart(u.user.id), USER_TTL_MS);
  });

  it('carts survive an API restart (they live in Redis)', async () => {
    const u = await registerUser(app);
    await cart.add(product.id, 4, { token: u.accessToken });
    const guestToken = (await cart.add(product.id, 3)).headers['x-cart-token'] as string;
    const second = await createTestApp(CART_TEST_ENV);
    try {
      const other = new CartClient(second);
      expect((await other.get({ token: u.accessToken })).json<CartBody>().items[0].quantity).toBe(4);
      expect((await other.get({ cartToken: guestToken })).json<CartBody>().items[0].quantity).toBe(3);
    } finally {
      await second.close();
    }
  });
});
