import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Response as InjectResponse } from 'light-my-request';
import { randomClientIp, registerUser } from '../support/auth.js';
import { ProductFactory, type Product } from '../support/catalog.js';
import { createTestApp } from '../support/test-app.js';
import { MetricsRegistry } from '../../apps/api/src/metrics/metrics.registry.js';
import { CART_TEST_ENV, CartClient, type CartBody } from './cart-fixtures.js';

/**
 * GET /cart and POST /cart/items of a guest over a real connection: answered before Fastify
 * (apps/api/src/http/front-door.ts, cart/http/guest-cart-front-route.ts) with what the controller
 * answers through inject().
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

  /** Headers both paths agree on (per-request values, the window's seconds left included, and connection headers aside). */
  const stable = (headers: Record<string, unknown>): Record<string, unknown> => {
    const {
      date: _d,
      connection: _c,
      'keep-alive': _k,
      'x-request-id': _id,
      'x-ratelimit-remaining': _r,
      'x-ratelimit-reset': _s,
      ...rest
    } = headers;
    expect(Number(_s)).toBeGreaterThanOrEqual(0);
    return rest;
  };
  const adds = () => app.get(MetricsRegistry).frontDoor.get('/api/v1/cart/items') ?? 0;
  /** POST /cart/items over the connection (the front door's), `body` sent as given. */
  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${base}/api/v1/cart/items`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const addBody = (productId: string, quantity: number) => JSON.stringify({ productId, quantity });

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

  it('adds to a new guest cart with the body and headers of the controller, and the cart is stored', async () => {
    const viaFastify: InjectResponse = await cart.add(a.id, 2);
    const before = adds();
    const res = await post(addBody(a.id, 2));
    const body = (await res.json()) as CartBody;
    expect(adds()).toBe(before + 1);
    expect(res.status).toBe(200);
    const token = res.headers.get('x-cart-token')!;
    expect(token).toMatch(/^[0-9a-f-]{36}\./);
    expect(token).not.toBe(viaFastify.headers['x-cart-token']);
    // The same answer but for the new cart's own token and time.
    expect({ ...body, updatedAt: null }).toEqual({ ...viaFastify.json<CartBody>(), updatedAt: null });
    expect(body.items).toEqual([expect.objectContaining({ productId: a.id, quantity: 2, available: true })]);
    const { 'x-cart-token': _t, ...headers } = stable(Object.fromEntries(res.headers));
    const { 'x-cart-token': _f, ...expected } = stable(viaFastify.headers);
    expect(headers).toEqual(expected);
    expect(res.headers.get('cache-control')).toBe('no-store');
    // What was answered was stored: the controller reads the same cart back.
    const read = await cart.get({ cartToken: token });
    expect(read.json<CartBody>()).toMatchObject({ totalQuantity: 2, updatedAt: body.updatedAt });
  });

  it('adds to the cart of a valid X-Cart-Token (an upper-case product id is the same line)', async () => {
    const token = (await cart.add(a.id, 1)).headers['x-cart-token'] as string;
    const before = adds();
    const res = await post(addBody(a.id.toUpperCase(), 2), { 'x-cart-token': token });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-cart-token')).toBe(token);
    expect(((await res.json()) as CartBody).items).toEqual([expect.objectContaining({ productId: a.id, quantity: 3 })]);
    expect(adds()).toBe(before + 1);
  });

  it('answers what the write refuses as the exception filter does: unknown product 404, stock 409, nothing stored', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    const viaFastify = await cart.add(unknown, 1);
    const before = adds();
    const res = await post(addBody(unknown, 1));
    expect(res.status).toBe(404);
    const body = (await res.json()) as { requestId: string };
    expect(body.requestId).toBe(res.headers.get('x-request-id'));
    expect({ ...body, requestId: 'r' }).toEqual({ ...viaFastify.json<object>(), requestId: 'r' });
    expect(stable(Object.fromEntries(res.headers))).toEqual(stable(viaFastify.headers));
    expect(res.headers.get('x-cart-token')).toBeNull();

    const [scarce] = await (await ProductFactory.create(app)).products(1, { stock: 2 });
    const token = (await cart.add(scarce.id, 2)).headers['x-cart-token'] as string;
    const conflict = await post(addBody(scarce.id, 1), { 'x-cart-token': token });
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toMatchObject({ statusCode: 409, error: 'Conflict', message: expect.stringContaining('in stock') });
    expect((await cart.get({ cartToken: token })).json<CartBody>()).toMatchObject({ totalQuantity: 2 });
    expect(adds()).toBe(before + 2);
  });

  it('hands every other request to the controller, whose parser is given the body read before', async () => {
    const before = adds();
    // Not plainly valid: the controller's validation names the field (it parsed the body it was given back).
    const zero = await post(addBody(a.id, 0));
    expect(zero.status).toBe(400);
    expect(await zero.json()).toMatchObject({ message: ['quantity: must not be less than 1'] });
    const extra = await post(JSON.stringify({ productId: a.id, quantity: 1, note: 'x' }));
    expect(extra.status).toBe(400);
    expect(await extra.json()).toMatchObject({ message: ['note: property note should not exist'] });
    const malformed = await post('{"productId":');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ message: 'body: is not valid JSON' });
    const proto = await post(`{"productId":"${a.id}","quantity":1,"__proto__":{"x":1}}`);
    expect(proto.status).toBe(400);
    // An invalid token, another content type, a body too large for the front door, a caller with a bearer token.
    const forged = await post(addBody(a.id, 1), { 'x-cart-token': 'nope' });
    expect(forged.status).toBe(400);
    expect(await forged.json()).toMatchObject({ message: ['x-cart-token: is invalid'] });
    const text = await post(addBody(a.id, 1), { 'content-type': 'text/plain' });
    const textViaFastify = await app.inject({
      method: 'POST',
      url: '/api/v1/cart/items',
      headers: { 'content-type': 'text/plain' },
      payload: addBody(a.id, 1),
    });
    expect(textViaFastify.statusCode).toBeGreaterThanOrEqual(400);
    expect(text.status).toBe(textViaFastify.statusCode);
    expect({ ...((await text.json()) as object), requestId: 'r' }).toEqual({ ...textViaFastify.json<object>(), requestId: 'r' });
    const padded = await post(`${addBody(a.id, 1)}${' '.repeat(2_000)}`);
    expect(padded.status).toBe(200);
    const user = await registerUser(app);
    const mine = await post(addBody(b.id, 1), { authorization: `Bearer ${user.accessToken}` });
    expect(mine.status).toBe(200);
    expect(mine.headers.get('x-cart-token')).toBeNull();
    expect(adds()).toBe(before);
  });
});

describe('guest cart writes before Fastify: the new-cart limit', () => {
  const LIMIT = 2;
  let app: NestFastifyApplication;
  let base: string;
  let product: Product;

  beforeAll(async () => {
    app = await createTestApp({ ...CART_TEST_ENV, CART_GUEST_THROTTLE_IP_LIMIT: String(LIMIT), CART_GUEST_THROTTLE_TTL_SECONDS: '600' });
    product = await (await ProductFactory.create(app)).product({ stock: 100 });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });
  afterAll(() => app.close());

  it('counts new guest carts per client address and answers the 429 with Retry-After; a cart of its own is not counted', async () => {
    const ip = randomClientIp();
    const add = (headers: Record<string, string> = {}) =>
      fetch(`${base}/api/v1/cart/items`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': ip, ...headers },
        body: JSON.stringify({ productId: product.id, quantity: 1 }),
      });
    const answered = () => app.get(MetricsRegistry).frontDoor.get('/api/v1/cart/items') ?? 0;
    const before = answered();
    const tokens: string[] = [];
    for (let i = 0; i < LIMIT; i++) {
      const res = await add();
      expect(res.status).toBe(200);
      tokens.push(res.headers.get('x-cart-token')!);
    }
    const refused = await add();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('x-cart-token')).toBeNull();
    expect(await refused.json()).toMatchObject({
      statusCode: 429,
      error: 'Too Many Requests',
      message: expect.stringMatching(/retry in \d+ s/),
    });
    // Writing to a cart it already has is not a new cart.
    const own = await add({ 'x-cart-token': tokens[0] });
    expect(own.status).toBe(200);
    expect(answered()).toBe(before + LIMIT + 2);
  });
});
