import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { CartStore, guestCart, userCart } from '../../libs/cart/src/store/cart.store.js';
import { CartTokenService } from '../../libs/cart/src/services/cart-token.service.js';
import { bearer, registerUser, type RegisteredUser } from '../support/auth.js';
import { ProductFactory, type Product } from '../support/catalog.js';
import { createTestApp } from '../support/test-app.js';
import { CART_TEST_ENV, CartClient, cartKeys, redisOf, type CartBody } from './cart-fixtures.js';

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

describe('cart HTTP contract', () => {
  let app: NestFastifyApplication;
  let cart: CartClient;
  let products: ProductFactory;
  let p1: Product;
  let p2: Product;

  beforeAll(async () => {
    // A keyspace of its own: the 'touches nothing' checks count keys, and parallel suites write carts.
    app = await createTestApp({ ...CART_TEST_ENV, REDIS_KEY_PREFIX: `${process.env.REDIS_KEY_PREFIX}k` });
    cart = new CartClient(app);
    products = await ProductFactory.create(app);
    [p1, p2] = await Promise.all([products.product({ priceCents: 1250, stock: 10 }), products.product({ priceCents: 399, stock: 500 })]);
  });
  afterAll(async () => {
    await app.close();
  });

  const expectError = (res: { statusCode: number; json: () => unknown }, status: number, message?: RegExp) => {
    expect(res.statusCode).toBe(status);
    const body = res.json() as { statusCode: number; error: string; message: string | string[]; requestId: string };
    expect(body.statusCode).toBe(status);
    expect(typeof body.error).toBe('string');
    expect(typeof body.requestId).toBe('string');
    if (message) expect(([] as string[]).concat(body.message).join('\n')).toMatch(message);
  };

  describe('signed-in user', () => {
    let u: RegisteredUser;
    beforeEach(async () => {
      u = await registerUser(app);
    });

    it('GET of a new cart is empty, with the store currency and no token header', async () => {
      const res = await cart.get({ token: u.accessToken });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ items: [], totalQuantity: 0, totalCents: 0, currency: 'EUR', updatedAt: null });
      expect(res.headers['x-cart-token']).toBeUndefined();
      expect((await cart.count({ token: u.accessToken })).json()).toEqual({ count: 0, lines: 0 });
    });

    it('POST adds to the line and answers the priced cart; PUT sets; DELETE removes; count follows', async () => {
      const a = await cart.add(p1.id, 2, { token: u.accessToken });
      expect(a.statusCode).toBe(200);
      const body = a.json<CartBody>();
      expect(body).toMatchObject({
        items: [{ productId: p1.id, name: p1.name, priceCents: 1250, quantity: 2, lineTotalCents: 2500, available: true }],
        totalQuantity: 2,
        totalCents: 2500,
        currency: 'EUR',
      });
      expect(new Date(body.updatedAt!).toISOString()).toBe(body.updatedAt);
      expect(a.headers['x-cart-token']).toBeUndefined();

      const b = (await cart.add(p1.id, 3, { token: u.accessToken })).json<CartBody>();
      expect(b.items).toEqual([expect.objectContaining({ productId: p1.id, quantity: 5, lineTotalCents: 6250 })]);

      const c = (await cart.add(p2.id.toUpperCase(), 1, { token: u.accessToken })).json<CartBody>();
      expect(c.items.map((i) => [i.productId, i.quantity])).toEqual([
        [p1.id, 5],
        [p2.id, 1],
      ]);
      expect(c).toMatchObject({ totalQuantity: 6, totalCents: 6250 + 399 });

      const d = await cart.set(p2.id, 7, { token: u.accessToken });
      expect(d.statusCode).toBe(200);
      expect(d.json<CartBody>().items.find((i) => i.productId === p2.id)!.quantity).toBe(7);
      expect((await cart.count({ token: u.accessToken })).json()).toEqual({ count: 12, lines: 2 });

      const e = await cart.set(p2.id, 0, { token: u.accessToken });
      expect(e.json<CartBody>().items.map((i) => i.productId)).toEqual([p1.id]);

      const f = await cart.remove(p1.id, { token: u.accessToken });
      expect(f.statusCode).toBe(200);
      expect(f.json<CartBody>().items).toEqual([]);
      // removing a line that is not there is not an error
      expect((await cart.remove(p1.id, { token: u.accessToken })).statusCode).toBe(200);
      expect((await cart.count({ token: u.accessToken })).json()).toEqual({ count: 0, lines: 0 });
    });

    it('DELETE /cart empties it (204), also when already empty', async () => {
      await cart.add(p1.id, 1, { token: u.accessToken });
      const res = await cart.clear({ token: u.accessToken });
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');
      expect((await cart.get({ token: u.accessToken })).json()).toMatchObject({ items: [], updatedAt: null });
      expect((await cart.clear({ token: u.accessToken })).statusCode).toBe(204);
    });

    it('PUT creates a missing line; PUT 0 / DELETE work for a product that no longer exists', async () => {
      const res = await cart.set(p2.id, 4, { token: u.accessToken });
      expect(res.json<CartBody>().items).toEqual([expect.objectContaining({ productId: p2.id, quantity: 4 })]);
      expectError(await cart.set(UNKNOWN, 1, { token: u.accessToken }), 404, /not found/);
      expect((await cart.set(UNKNOWN, 0, { token: u.accessToken })).statusCode).toBe(200);
    });

    it('unknown product → 404; more than in stock → 409; above 100 per line → 422; nothing changes', async () => {
      expectError(await cart.add(UNKNOWN, 1, { token: u.accessToken }), 404, /product .* not found/);
      expectError(await cart.add(p1.id, 11, { token: u.accessToken }), 409, /only 10 .* in stock/);
      await cart.add(p1.id, 8, { token: u.accessToken });
      expectError(await cart.add(p1.id, 3, { token: u.accessToken }), 409, /only 10 .*8 already in the cart/);
      expectError(await cart.set(p1.id, 11, { token: u.accessToken }), 409, /in stock/);
      await cart.add(p2.id, 60, { token: u.accessToken });
      expectError(await cart.add(p2.id, 41, { token: u.accessToken }), 422, /at most 100 units/);
      const body = (await cart.get({ token: u.accessToken })).json<CartBody>();
      expect(body.items.map((i) => i.quantity)).toEqual([8, 60]);
    });

    it('at most 100 lines: the 101st product → 422 with a clear message', async () => {
      // 100 lines written straight into the user's qty hash (keys from the store, fake product ids).
      const [qty] = app.get(CartStore).keys(userCart(u.user.id));
      const fields: Record<string, string> = {};
      for (let i = 0; i < 100; i++) fields[randomUUID()] = '1';
      await redisOf(app).hset(qty, fields);
      expectError(await cart.add(p1.id, 1, { token: u.accessToken }), 422, /cart: at most 100 different products/);
      expectError(await cart.set(p1.id, 1, { token: u.accessToken }), 422, /at most 100/);
      expect((await cart.count({ token: u.accessToken })).json()).toEqual({ count: 100, lines: 100 });
      // existing lines still change
      const some = Object.keys(fields)[0];
      expect((await cart.remove(some, { token: u.accessToken })).statusCode).toBe(200);
      expect((await cart.add(p1.id, 1, { token: u.accessToken })).statusCode).toBe(200);
    });

    it('prices are the current catalog prices; available turns false on deletion or short stock', async () => {
      const p = await products.product({ priceCents: 1000, stock: 5 });
      const q = await products.product({ priceCents: 200, stock: 5 });
      await cart.add(p.id, 3, { token: u.accessToken });
      await cart.add(q.id, 2, { token: u.accessToken });
      expect((await products.client.patchProduct(p.id, { priceCents: 1500 })).statusCode).toBe(200);
      let body = (await cart.get({ token: u.accessToken })).json<CartBody>();
      expect(body.items[0]).toMatchObject({ productId: p.id, priceCents: 1500, lineTotalCents: 4500, available: true });
      expect(body.totalCents).toBe(4500 + 400);

      expect((await products.client.patchProduct(p.id, { stock: 2 })).statusCode).toBe(200);
      body = (await cart.get({ token: u.accessToken })).json<CartBody>();
      expect(body.items[0]).toMatchObject({ productId: p.id, quantity: 3, available: false });
      expect(body).toMatchObject({ totalQuantity: 2, totalCents: 400 });

      const del = await app.inject({ method: 'DELETE', url: `/api/v1/products/${q.id}`, headers: bearer(products.client.token) });
      expect(del.statusCode).toBe(204);
      body = (await cart.get({ token: u.accessToken })).json<CartBody>();
      expect(body.items[1]).toMatchObject({ productId: q.id, name: q.name, priceCents: 200, quantity: 2, available: false });
      expect(body).toMatchObject({ totalQuantity: 0, totalCents: 0 });
      expectError(await cart.add(q.id, 1, { token: u.accessToken }), 404);
      expect((await cart.remove(q.id, { token: u.accessToken })).statusCode).toBe(200);
    });

    it('ignores X-Cart-Token (valid or not) when a bearer token is sent', async () => {
      const guest = await cart.add(p1.id, 1);
      const token = guest.headers['x-cart-token'] as string;
      expect((await cart.get({ token: u.accessToken, cartToken: token })).json()).toMatchObject({ items: [] });
      expect((await cart.get({ token: u.accessToken, cartToken: 'garbage' })).statusCode).toBe(200);
    });

    it('user A never sees or changes user B’s cart', async () => {
      const b = await registerUser(app);
      await cart.add(p1.id, 2, { token: u.accessToken });
      await cart.add(p2.id, 5, { token: b.accessToken });
      expect((await cart.get({ token: u.accessToken })).json<CartBody>().items.map((i) => [i.productId, i.quantity])).toEqual([[p1.id, 2]]);
      expect((await cart.get({ token: b.accessToken })).json<CartBody>().items.map((i) => [i.productId, i.quantity])).toEqual([[p2.id, 5]]);
      await cart.remove(p2.id, { token: u.accessToken });
      await cart.set(p2.id, 0, { token: u.accessToken });
      await cart.clear({ token: u.accessToken });
      expect((await cart.get({ token: b.accessToken })).json<CartBody>().items.map((i) => [i.productId, i.quantity])).toEqual([[p2.id, 5]]);
    });
  });

  describe('validation', () => {
    it('rejects bad bodies and ids with 400 naming the field, and unknown fields', async () => {
      expectError(await cart.add('not-a-uuid', 1), 400, /productId: must be a UUID/);
      expectError(await cart.add(p1.id, 0), 400, /quantity: /);
      expectError(await cart.add(p1.id, 101), 400, /quantity: /);
      expectError(await cart.add(p1.id, 1.5), 400, /quantity: /);
      expectError(
        await app.inject({ method: 'POST', url: '/api/v1/cart/items', payload: { productId: p1.id, quantity: '2' } }),
        400,
        /quantity: /,
      );
      expectError(await app.inject({ method: 'POST', url: '/api/v1/cart/items', payload: {} }), 400, /productId: [\s\S]*quantity: /);
      expectError(await cart.add(p1.id, 1, undefined, { priceCents: 1 }), 400, /priceCents/);
      expectError(await cart.set('nope', 1), 400, /productId: must be a UUID/);
      expectError(await cart.remove('nope'), 400, /productId: must be a UUID/);
      expectError(await cart.set(p1.id, -1), 400, /quantity: /);
      expectError(await cart.set(p1.id, 101), 400, /quantity: /);
      expectError(
        await app.inject({ method: 'PUT', url: `/api/v1/cart/items/${p1.id}`, payload: { quantity: 1, extra: true } }),
        400,
        /extra/,
      );
    });

    it('an Authorization header that does not authenticate → 401 (never a silent guest cart)', async () => {
      for (const authorization of ['Bearer not-a-token', 'Basic abc', 'Bearer a.b.c', '']) {
        const res = await app.inject({ method: 'GET', url: '/api/v1/cart', headers: { authorization } });
        expect([authorization, res.statusCode]).toEqual([authorization, 401]);
        const add = await app.inject({
          method: 'POST',
          url: '/api/v1/cart/items',
          headers: { authorization },
          payload: { productId: p1.id, quantity: 1 },
        });
        expect(add.statusCode).toBe(401);
        expect(add.headers['x-cart-token']).toBeUndefined();
      }
      const u = await registerUser(app);
      await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(u.accessToken) });
      expect((await cart.get({ token: u.accessToken })).statusCode).toBe(401);
    });
  });

  describe('guest carts', () => {
    it('no token: GET is empty and creates nothing; the first write issues X-Cart-Token; later calls use it', async () => {
      const before = await cartKeys(app);
      const empty = await cart.get();
      expect(empty.statusCode).toBe(200);
      expect(empty.json()).toEqual({ items: [], totalQuantity: 0, totalCents: 0, currency: 'EUR', updatedAt: null });
      expect(empty.headers['x-cart-token']).toBeUndefined();
      expect((await cart.count()).json()).toEqual({ count: 0, lines: 0 });
      expect((await cart.remove(p1.id)).statusCode).toBe(200);
      expect((await cart.set(p1.id, 0)).statusCode).toBe(200);
      expect((await cart.clear()).statusCode).toBe(204);
      expect(await cartKeys(app)).toEqual(before);

      const first = await cart.add(p1.id, 2);
      expect(first.statusCode).toBe(200);
      const token = first.headers['x-cart-token'] as string;
      expect(token).toMatch(/^[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/);
      expect(first.json<CartBody>().items).toEqual([expect.objectContaining({ productId: p1.id, quantity: 2 })]);

      const second = await cart.add(p1.id, 1, { cartToken: token });
      expect(second.headers['x-cart-token']).toBe(token);
      expect(second.json<CartBody>().items[0].quantity).toBe(3);
      expect((await cart.count({ cartToken: token })).json()).toEqual({ count: 3, lines: 1 });

      // another guest (no token) gets another cart
      const other = await cart.add(p2.id, 1);
      expect(other.headers['x-cart-token']).not.toBe(token);
      expect((await cart.get({ cartToken: token })).json<CartBody>().items.map((i) => i.productId)).toEqual([p1.id]);

      expect((await cart.clear({ cartToken: token })).statusCode).toBe(204);
      expect((await cart.get({ cartToken: token })).json<CartBody>().items).toEqual([]);
    });

    it('a failed first write issues no token and stores nothing', async () => {
      const before = await cartKeys(app);
      const res = await cart.add(UNKNOWN, 1);
      expect(res.statusCode).toBe(404);
      expect(res.headers['x-cart-token']).toBeUndefined();
      expect(await cartKeys(app)).toEqual(before);
    });

    it('forged, tampered and pattern-like tokens → 400 `x-cart-token: is invalid`, and touch nothing', async () => {
      const real = (await cart.add(p1.id, 1)).headers['x-cart-token'] as string;
      const [id, sig] = real.split('.') as [string, string];
      const flip = (s: string) => s.slice(0, -2) + (s.at(-2) === 'A' ? 'B' : 'A') + s.at(-1);
      const otherId = randomUUID();
      const forged = [
        `${otherId}.${sig}`, // someone else's cart id with my signature
        `${id}.${flip(sig)}`, // tampered signature
        `${id.slice(0, -1)}${id.endsWith('a') ? 'b' : 'a'}.${sig}`, // tampered id
        `${id}.`,
        id,
        `${id.toUpperCase()}.${sig}`,
        `${real}x`,
        '*',
        'cart:*',
        `{cart:g-${id}}`,
        `${id}.${sig}*`,
        '../../etc',
        'a'.repeat(300),
        app
          .get(CartTokenService)
          .sign(otherId)
          .replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')),
      ];
      const before = (await cartKeys(app)).sort();
      const store = app.get(CartStore);
      const pttlBefore = await store.pttl(guestCart(id));
      for (const token of forged) {
        for (const res of [
          await cart.get({ cartToken: token }),
          await cart.add(p1.id, 1, { cartToken: token }),
          await cart.set(p1.id, 5, { cartToken: token }),
          await cart.remove(p1.id, { cartToken: token }),
          await cart.clear({ cartToken: token }),
          await cart.count({ cartToken: token }),
        ]) {
          expect([token, res.statusCode]).toEqual([token, 400]);
          expect(res.json()).toMatchObject({ statusCode: 400, error: 'Bad Request', message: ['x-cart-token: is invalid'] });
          expect(res.headers['x-cart-token']).toBeUndefined();
        }
      }
      expect((await cartKeys(app)).sort()).toEqual(before);
      expect((await cart.get({ cartToken: real })).json<CartBody>().items).toEqual([
        expect.objectContaining({ productId: p1.id, quantity: 1 }),
      ]);
      expect(pttlBefore[0]).toBeGreaterThan(0);
    });

    it('a token signed with another secret is rejected', async () => {
      const other = await createTestApp({ ...CART_TEST_ENV, CART_TOKEN_SECRET: 'another-cart-token-secret-0123456789abcdef' });
      try {
        const token = (await new CartClient(other).add(p1.id, 1)).headers['x-cart-token'] as string;
        expect((await cart.get({ cartToken: token })).statusCode).toBe(400);
        expect((await new CartClient(other).get({ cartToken: token })).statusCode).toBe(200);
      } finally {
        await other.close();
      }
    });
  });

  describe('merge on sign-in', () => {
    it('register with X-Cart-Token moves the guest cart into the new user’s cart and deletes it', async () => {
      const token = (await cart.add(p1.id, 2)).headers['x-cart-token'] as string;
      await cart.add(p2.id, 3, { cartToken: token });
      const u = await registerUser(app, { headers: { 'x-cart-token': token } });
      const body = (await cart.get({ token: u.accessToken })).json<CartBody>();
      expect(body.items.map((i) => [i.productId, i.quantity]).sort()).toEqual(
        [
          [p1.id, 2],
          [p2.id, 3],
        ].sort(),
      );
      expect((await cart.get({ cartToken: token })).json<CartBody>().items).toEqual([]);
      const [id] = token.split('.');
      expect((await cartKeys(app)).filter((k) => k.includes(`g-${id}`))).toEqual([]);
    });

    it('login adds quantities, capped by stock and 100 per line; an invalid token merges nothing', async () => {
      const u = await registerUser(app);
      const scarce = await products.product({ stock: 4 });
      await cart.add(scarce.id, 3, { token: u.accessToken });
      await cart.add(p2.id, 90, { token: u.accessToken });
      const token = (await cart.add(scarce.id, 3)).headers['x-cart-token'] as string;
      await cart.add(p2.id, 20, { cartToken: token });
      await cart.add(p1.id, 1, { cartToken: token });
      const login = (cartToken: string) =>
        app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          headers: { 'x-cart-token': cartToken, 'x-forwarded-for': `10.9.${Math.floor(Math.random() * 250)}.1` },
          payload: { email: u.email, password: u.password },
        });
      expect((await login('not-a-token')).statusCode).toBe(200);
      expect((await cart.count({ cartToken: token })).json()).toEqual({ count: 24, lines: 3 });
      expect((await login(token)).statusCode).toBe(200);
      const body = (await cart.get({ token: u.accessToken })).json<CartBody>();
      const qty = Object.fromEntries(body.items.map((i) => [i.productId, i.quantity]));
      expect(qty).toEqual({ [scarce.id]: 4, [p2.id]: 100, [p1.id]: 1 });
      expect((await cart.count({ cartToken: token })).json()).toEqual({ count: 0, lines: 0 });
    });
  });

  it('documents every cart route with schemas in /docs-json', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs-json' })).json<{
      paths: Record<string, Record<string, { responses: Record<string, unknown>; parameters?: { name: string }[] }>>;
      components: { schemas: Record<string, unknown> };
    }>();
    expect(Object.keys(doc.paths['/api/v1/cart']).sort()).toEqual(['delete', 'get']);
    expect(Object.keys(doc.paths['/api/v1/cart/items'])).toEqual(['post']);
    expect(Object.keys(doc.paths['/api/v1/cart/items/{productId}']).sort()).toEqual(['delete', 'put']);
    expect(Object.keys(doc.paths['/api/v1/cart/count'])).toEqual(['get']);
    for (const s of ['CartDto', 'CartItemDto', 'CartCountDto', 'AddCartItemDto', 'SetCartItemDto', 'ErrorBody'])
      expect(doc.components.schemas[s]).toBeDefined();
    const post = doc.paths['/api/v1/cart/items'].post;
    expect(Object.keys(post.responses).sort()).toEqual(expect.arrayContaining(['200', '400', '401', '404', '409', '422', '503']));
    expect(post.parameters!.map((p) => p.name)).toContain('X-Cart-Token');
  });
});
