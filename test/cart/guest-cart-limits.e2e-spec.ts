import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { startRedisServer, type RedisServerHandle } from '@app/cache/testing/redis-harness.js';
import { loadConfig } from '@app/common';
import { Redis } from 'ioredis';
import { CartStore, guestCart, userCart } from '../../libs/cart/src/store/cart.store.js';
import { CartTokenService } from '../../libs/cart/src/services/cart-token.service.js';
import { randomClientIp, registerUser } from '../support/auth.js';
import { ProductFactory, type Product } from '../support/catalog.js';
import { createTestApp } from '../support/test-app.js';
import { CART_TEST_ENV, CartClient, cartKeys } from './cart-fixtures.js';

const DAY_MS = 86_400_000;

/** Guest carts are bounded: new ones per client IP, and how long an abandoned one is kept. */
describe('guest cart limits', () => {
  const LIMIT = 3;
  let app: NestFastifyApplication;
  let second: NestFastifyApplication;
  let cart: CartClient;
  let product: Product;

  beforeAll(async () => {
    // Own key prefix, so the cart keys counted below are this suite's only.
    const env = {
      ...CART_TEST_ENV,
      CART_GUEST_THROTTLE_IP_LIMIT: String(LIMIT),
      CART_GUEST_THROTTLE_TTL_SECONDS: '600',
      REDIS_KEY_PREFIX: `${process.env.REDIS_KEY_PREFIX}g`,
    };
    app = await createTestApp(env);
    second = await createTestApp(env);
    cart = new CartClient(app);
    product = await (await ProductFactory.create(app)).product({ stock: 5 });
  });
  afterAll(async () => {
    await Promise.all([app?.close(), second?.close()]);
  });

  const from = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });

  it('one client IP creates at most CART_GUEST_THROTTLE_IP_LIMIT guest carts per window; then 429 with Retry-After and the error body, and no cart', async () => {
    const ip = randomClientIp();
    for (let i = 0; i < LIMIT; i++) {
      const res = await cart.add(product.id, 1, from(ip));
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-cart-token']).toEqual(expect.any(String));
    }
    const before = (await cartKeys(app)).length;
    const refused = await cart.add(product.id, 1, from(ip));
    expect(refused.statusCode).toBe(429);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(600);
    expect(refused.json()).toMatchObject({
      statusCode: 429,
      error: 'Too Many Requests',
      message: expect.stringMatching(/retry in \d+ s/),
      requestId: expect.any(String),
    });
    expect(refused.headers['x-cart-token']).toBeUndefined();
    // PUT creates carts too, so it is limited the same way.
    expect(
      (await app.inject({ method: 'PUT', url: `/api/v1/cart/items/${product.id}`, headers: from(ip).headers, payload: { quantity: 1 } }))
        .statusCode,
    ).toBe(429);
    expect((await cartKeys(app)).length).toBe(before);
    // A write that could create nothing is answered for what it is (it never counted).
    expect((await cart.add(product.id, 0, from(ip))).statusCode).toBe(400);

    // Only creation is limited: the carts it has, other addresses and signed-in users go on.
    const token = (await cart.add(product.id, 1, from(randomClientIp()))).headers['x-cart-token'] as string;
    expect((await cart.add(product.id, 1, { cartToken: token, ...from(ip) })).statusCode).toBe(200);
    expect((await cart.get({ cartToken: token, ...from(ip) })).statusCode).toBe(200);
    const user = await registerUser(app);
    expect((await cart.add(product.id, 1, { token: user.accessToken, ...from(ip) })).statusCode).toBe(200);
  });

  it('writes that create no cart give their place back (unknown product, over stock, invalid body, quantity 0)', async () => {
    const ip = randomClientIp();
    const h = from(ip);
    for (let i = 0; i < LIMIT + 2; i++) {
      expect((await cart.add(randomUUID(), 1, h)).statusCode).toBe(404);
      expect((await cart.add(product.id, 99, h)).statusCode).toBe(409);
      expect((await cart.add(product.id, 0, h)).statusCode).toBe(400);
      expect((await cart.set(product.id, 0, h)).statusCode).toBe(200);
    }
    for (let i = 0; i < LIMIT; i++) expect((await cart.add(product.id, 1, h)).statusCode).toBe(200);
    expect((await cart.add(product.id, 1, h)).statusCode).toBe(429);
  });

  it('the limit is shared by every API instance (counted in Redis)', async () => {
    const ip = randomClientIp();
    const other = new CartClient(second);
    expect((await cart.add(product.id, 1, from(ip))).statusCode).toBe(200);
    expect((await other.add(product.id, 1, from(ip))).statusCode).toBe(200);
    expect((await cart.add(product.id, 1, from(ip))).statusCode).toBe(200);
    expect((await other.add(product.id, 1, from(ip))).statusCode).toBe(429);
    expect((await cart.add(product.id, 1, from(ip))).statusCode).toBe(429);
  });

  it('guest carts expire after 2 days of inactivity by default; signed-in carts keep 30 days', async () => {
    const { CART_GUEST_TTL_SECONDS: _guest, CART_USER_TTL_SECONDS: _user, ...env } = process.env;
    const defaults = loadConfig(env);
    expect(defaults.cart.guestTtlSeconds).toBe(2 * 86_400);
    expect(defaults.cart.userTtlSeconds).toBe(30 * 86_400);

    const store = app.get(CartStore);
    const token = (await cart.add(product.id, 1, from(randomClientIp()))).headers['x-cart-token'] as string;
    for (const left of await store.pttl(guestCart(app.get(CartTokenService).verify(token)!))) {
      expect(left).toBeGreaterThan(2 * DAY_MS - 60_000);
      expect(left).toBeLessThanOrEqual(2 * DAY_MS);
    }
    const user = await registerUser(app);
    await cart.add(product.id, 1, { token: user.accessToken });
    for (const left of await store.pttl(userCart(user.user.id))) expect(left).toBeGreaterThan(29 * DAY_MS);
  });
});

/**
 * Redis out of memory under `noeviction` refuses writes (OOM): cart writes answer 503 with
 * Retry-After, never 500, and nothing already in a cart is lost. A private redis-server, so the
 * shared one never runs short of memory.
 */
describe('cart while Redis refuses writes (out of memory)', () => {
  let redis: RedisServerHandle;
  let admin: Redis;
  let app: NestFastifyApplication;
  let cart: CartClient;
  let product: Product;

  beforeAll(async () => {
    redis = await startRedisServer({ args: ['--maxmemory-policy', 'noeviction'] });
    admin = new Redis(redis.url);
    app = await createTestApp({ ...CART_TEST_ENV, REDIS_URL: redis.url });
    cart = new CartClient(app);
    product = await (await ProductFactory.create(app)).product();
  });
  afterAll(async () => {
    await app?.close();
    admin?.disconnect();
    await redis?.dispose();
  });

  it('cart writes that need memory → 503 `cart: temporarily unavailable` with Retry-After; the carts are intact once memory is back', async () => {
    const user = await registerUser(app);
    const guestToken = (await cart.add(product.id, 2)).headers['x-cart-token'] as string;
    expect((await cart.add(product.id, 3, { token: user.accessToken })).statusCode).toBe(200);

    await admin.config('SET', 'maxmemory', '1');
    // What to alert on before this happens: /metrics reports Redis memory, its limit and the policy.
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/^redis_memory_max_bytes 1$/m);
    expect(metrics).toMatch(/^redis_memory_used_bytes [1-9]\d*$/m);
    expect(metrics).toMatch(/^redis_maxmemory_policy_info\{policy="noeviction"\} 1$/m);
    let answers: { name: string; status: number; retryAfter: unknown; body: string }[];
    try {
      const calls: [string, () => ReturnType<CartClient['get']>][] = [
        ['new guest cart', () => cart.add(product.id, 1, { headers: { 'x-forwarded-for': randomClientIp() } })],
        ['guest add', () => cart.add(product.id, 1, { cartToken: guestToken })],
        ['guest set', () => cart.set(product.id, 5, { cartToken: guestToken })],
        ['user add', () => cart.add(product.id, 1, { token: user.accessToken })],
        ['user set', () => cart.set(product.id, 1, { token: user.accessToken })],
      ];
      answers = [];
      for (const [name, call] of calls) {
        const res = await call();
        answers.push({ name, status: res.statusCode, retryAfter: res.headers['retry-after'], body: res.body });
      }
      // Removing a line frees memory, which Redis accepts even now; either way never a 500.
      const removed = await cart.remove('00000000-0000-4000-8000-000000000000', { token: user.accessToken });
      expect([200, 503]).toContain(removed.statusCode);
    } finally {
      await admin.config('SET', 'maxmemory', '0');
    }
    for (const a of answers) {
      expect({ name: a.name, status: a.status, retryAfter: Number(a.retryAfter) > 0 }).toEqual({
        name: a.name,
        status: 503,
        retryAfter: true,
      });
      expect(JSON.parse(a.body)).toMatchObject({ statusCode: 503, error: 'Service Unavailable', message: 'cart: temporarily unavailable' });
      expect(a.body).not.toMatch(/OOM|maxmemory|Redis/i);
    }
    const guest = await cart.get({ cartToken: guestToken });
    expect(guest.statusCode).toBe(200);
    expect(guest.json().items).toEqual([expect.objectContaining({ productId: product.id, quantity: 2 })]);
    const mine = await cart.get({ token: user.accessToken });
    expect(mine.json().items).toEqual([expect.objectContaining({ productId: product.id, quantity: 3 })]);
  });
});
