/**
 * The client types generated from openapi.json (test/support/api-types.ts, by `npm run openapi`)
 * drive a real HTTP walk-through with openapi-fetch against a listening API on an ephemeral port:
 * register → login → GET /users/me → (admin) create a category and a product → list products →
 * add to the cart → read the cart. Paths, parameters, bodies and answers are type-checked against
 * the document (`npm run typecheck`), and the answers are checked at run time here.
 */
import createClient, { type Middleware } from 'openapi-fetch';
import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { paths } from '../support/api-types.js';
import { createAdmin, randomClientIp } from '../support/auth.js';
import { createTestApp } from '../support/test-app.js';

describe('typed client generated from openapi.json', () => {
  let app: NestFastifyApplication;
  let baseUrl: string;

  beforeAll(async () => {
    app = await createTestApp();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.getHttpServer().address() as { port: number };
    baseUrl = `http://127.0.0.1:${address.port}`;
  });

  afterAll(async () => {
    await app.close();
  });

  /** A client whose requests come from one client IP of their own (X-Forwarded-For is trusted from loopback). */
  function client(accessToken?: string) {
    const api = createClient<paths>({ baseUrl });
    const ip = randomClientIp();
    const headers: Middleware = {
      onRequest({ request }) {
        request.headers.set('x-forwarded-for', ip);
        if (accessToken) request.headers.set('authorization', `Bearer ${accessToken}`);
        return request;
      },
    };
    api.use(headers);
    return api;
  }

  it('register, login, profile, catalog, cart', async () => {
    const anonymous = client();
    const email = `${randomUUID()}@example.com`;
    const password = 'correct horse battery staple';

    const registered = await anonymous.POST('/api/v1/auth/register', { body: { email, password, name: 'Ada Lovelace' } });
    expect(registered.response.status).toBe(201);
    expect(registered.data?.user.email).toBe(email);
    expect(registered.response.headers.get('x-request-id')).toBeTruthy();

    const loggedIn = await anonymous.POST('/api/v1/auth/login', { body: { email, password } });
    expect(loggedIn.response.status).toBe(200);
    const tokens = loggedIn.data!;
    expect(tokens.expiresIn).toBeGreaterThan(0);

    const customer = client(tokens.accessToken);
    const me = await customer.GET('/api/v1/users/me');
    expect(me.data).toMatchObject({ email, name: 'Ada Lovelace', role: 'customer' });

    // A customer on an admin route: the documented 403 with the contract's error body.
    const refused = await customer.POST('/api/v1/categories', { body: { name: 'Nope', slug: `nope-${randomUUID().slice(0, 8)}` } });
    expect(refused.response.status).toBe(403);
    expect(refused.error).toMatchObject({ statusCode: 403, error: 'Forbidden' });

    const admin = client((await createAdmin(app)).accessToken);
    const tag = randomUUID().slice(0, 8);
    const category = await admin.POST('/api/v1/categories', { body: { name: `Typed ${tag}`, slug: `typed-${tag}` } });
    expect(category.response.status).toBe(201);
    const product = await admin.POST('/api/v1/products', {
      body: {
        sku: `TYPED-${tag}`,
        name: `Typed cup ${tag}`,
        description: 'A cup made from the generated types',
        priceCents: 2490,
        stock: 5,
        categoryId: category.data!.id,
      },
    });
    expect(product.response.status).toBe(201);
    const productId = product.data!.id;

    const list = await anonymous.GET('/api/v1/products', {
      params: { query: { category: `typed-${tag}`, sort: 'price', page: 1, limit: 10 } },
    });
    expect(list.response.status).toBe(200);
    expect(list.response.headers.get('etag')).toBeTruthy();
    expect(list.data).toMatchObject({ total: 1, page: 1, limit: 10 });
    expect(list.data!.items.map((p) => p.id)).toEqual([productId]);

    const one = await anonymous.GET('/api/v1/products/{id}', { params: { path: { id: productId } } });
    expect(one.data).toMatchObject({ id: productId, priceCents: 2490, stock: 5, category: { slug: `typed-${tag}` } });

    const added = await customer.POST('/api/v1/cart/items', { body: { productId, quantity: 2 } });
    expect(added.response.status).toBe(200);
    expect(added.data).toMatchObject({ totalQuantity: 2, totalCents: 4980 });

    const cart = await customer.GET('/api/v1/cart');
    expect(cart.data!.items).toEqual([expect.objectContaining({ productId, quantity: 2, lineTotalCents: 4980, available: true })]);

    const unknown = await anonymous.GET('/api/v1/products/{id}', { params: { path: { id: randomUUID() } } });
    expect(unknown.response.status).toBe(404);
    expect(unknown.error).toMatchObject({ statusCode: 404, error: 'Not Found' });
  });
});
