/**
 * Regressions for what the OpenAPI fuzzer (openapi-fuzz.e2e-spec.ts) found, each reduced to the
 * minimal request it reported.
 */
import { Controller, Get, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Writable } from 'node:stream';
import { Public, UnavailableError } from '@app/common';
import { bearer, createAdmin, registerUser, type RegisteredUser } from '../support/auth.js';
import { createTestApp } from '../support/test-app.js';

describe('fuzzer findings', () => {
  let app: NestFastifyApplication;
  let adminToken: string;

  beforeAll(async () => {
    app = await createTestApp({ THROTTLE_LIMIT: '1000000', REDIS_KEY_PREFIX: `${process.env.REDIS_KEY_PREFIX}f` });
    adminToken = (await createAdmin(app)).accessToken;
  });
  afterAll(async () => {
    await app.close();
  });

  const contractError = (res: { statusCode: number; headers: Record<string, unknown>; json: () => unknown }, statusCode: number) => {
    expect(res.statusCode).toBe(statusCode);
    const requestId = res.headers['x-request-id'];
    expect(typeof requestId).toBe('string');
    expect(res.json()).toEqual({ statusCode, error: expect.any(String), message: expect.anything(), requestId });
  };

  it('a malformed percent-encoding in the path gets the contract 400 body and X-Request-ID, not Fastify’s', async () => {
    const res = await app.inject({
      method: 'DELETE',
      url: '/api/v1/products/%%32%65',
      headers: { authorization: `Bearer ${adminToken}`, 'x-request-id': 'fuzz-bad-url-1' },
    });
    contractError(res, 400);
    expect(res.headers['x-request-id']).toBe('fuzz-bad-url-1');
    expect(res.json().message).toMatch(/^url: /);
    expect(res.body).not.toContain('FST_ERR');
    expect(res.body).not.toContain('%%32%65');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('an over-long path parameter gets the contract 414 body and X-Request-ID, without echoing the path', async () => {
    const res = await app.inject({
      method: 'GET',
      url: `/api/v1/orders/${'x'.repeat(5_000)}/history`,
      headers: { authorization: `Bearer ${adminToken}` },
    });
    contractError(res, 414);
    expect(res.body).not.toContain('xxxxxxxxxx');
    expect(res.body).not.toContain('FST_ERR');
  });

  it('a path parameter just under the router limit still reaches the route (400 naming the id)', async () => {
    const res = await app.inject({ method: 'GET', url: `/api/v1/products/${'x'.repeat(90)}` });
    contractError(res, 400);
    expect(res.json().message).toEqual(['id: must be a UUID']);
  });

  it('GET /admin/cache/stats: every field of a namespace answer is in the document (loadErrors)', async () => {
    const docs = (await app.inject({ method: 'GET', url: '/docs-json' })).json();
    const documented = Object.keys(docs.components.schemas.NamespaceStatsDto.properties).sort();
    const res = await app.inject({ method: 'GET', url: '/api/v1/admin/cache/stats', headers: { authorization: `Bearer ${adminToken}` } });
    expect(res.statusCode).toBe(200);
    expect(Object.keys(res.json().totals).sort()).toEqual(documented);
    expect(documented).toContain('loadErrors');
  });

  it('the document states the patterns the server enforces on the category filter and on cache namespaces', async () => {
    const docs = (await app.inject({ method: 'GET', url: '/docs-json' })).json();
    const category = docs.paths['/api/v1/products'].get.parameters.find((p: { name: string }) => p.name === 'category');
    expect(new RegExp(category.schema.pattern).test('kitchen-2')).toBe(true);
    expect(new RegExp(category.schema.pattern).test('Kitchen')).toBe(false);
    expect((await app.inject({ method: 'GET', url: '/api/v1/products?category=Kitchen' })).statusCode).toBe(400);
    const namespace = docs.paths['/api/v1/admin/cache/{namespace}'].delete.parameters.find((p: { name: string }) => p.name === 'namespace');
    expect(new RegExp(namespace.schema.pattern).test('product-lists')).toBe(true);
    expect(new RegExp(namespace.schema.pattern).test('*')).toBe(false);
    expect(docs.paths['/api/v1/admin/cache/{namespace}'].delete.responses['400']).toBeDefined();
  });

  it('the document lists the answers of the HTTP edge: rate limit, malformed, too large or unsupported bodies, malformed and over-long path parameters', async () => {
    const docs = (await app.inject({ method: 'GET', url: '/docs-json' })).json();
    const statuses = (path: string, method: string) => Object.keys(docs.paths[path][method].responses);
    expect(statuses('/api/v1/products/{id}', 'delete')).toEqual(expect.arrayContaining(['400', '413', '414', '415', '429']));
    expect(statuses('/api/v1/auth/logout', 'post')).toEqual(expect.arrayContaining(['400', '413', '415', '429']));
    expect(statuses('/api/v1/products', 'get')).toContain('429');
    expect(statuses('/api/v1/products', 'get')).not.toContain('415');
    // The default rate limit covers the probes too (test/identity/rate-limits.e2e-spec.ts gets a 429 from /health/live).
    expect(statuses('/health/live', 'get')).toContain('429');
    // An operation's own wording of a status is kept.
    expect(docs.paths['/api/v1/auth/login'].post.responses['429'].description).toMatch(/failed logins/);
    // And the server does answer them: an unsupported body on a route without one.
    const res = await app.inject({
      method: 'DELETE',
      url: '/api/v1/products/3f1c2a9e-6f0e-4a55-b1f6-1f7f2d9b8c11',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/xml' },
      payload: '<a/>',
    });
    expect(res.statusCode).toBe(415);
  });

  it('register and login document X-Cart-Token once, as optional, and empty credentials as invalid', async () => {
    const docs = (await app.inject({ method: 'GET', url: '/docs-json' })).json();
    for (const route of ['register', 'login']) {
      const headers = docs.paths[`/api/v1/auth/${route}`].post.parameters.filter(
        (p: { in: string; name: string }) => p.in === 'header' && p.name.toLowerCase() === 'x-cart-token',
      );
      expect(headers).toHaveLength(1);
      expect(headers[0].required).toBe(false);
    }
    expect(docs.components.schemas.LoginDto.properties.password.minLength).toBe(1);
    expect(docs.components.schemas.RefreshDto.properties.refreshToken.minLength).toBe(1);
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'a@example.com', password: '' } });
    expect(res.statusCode).toBe(400);
    // Without the header, register still works (it is optional).
    const registered = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: `${Date.now()}@example.com`, password: 'long enough pw', name: 'N' },
    });
    expect(registered.statusCode).toBe(201);
  });
});

describe('fuzzer findings: body and query keys', () => {
  let app: NestFastifyApplication;
  let customer: RegisteredUser;
  let admin: RegisteredUser;

  beforeAll(async () => {
    app = await createTestApp({ THROTTLE_LIMIT: '1000000', REDIS_KEY_PREFIX: `${process.env.REDIS_KEY_PREFIX}f` });
    [customer, admin] = await Promise.all([registerUser(app), createAdmin(app)]);
  });
  afterAll(async () => {
    await app.close();
  });

  it.each(['constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'])(
    'an unknown body field named %s is refused with 400 naming it, and nothing is written',
    async (key) => {
      const payload = `{"name":"Renamed ${key}","${key}":1}`;
      const res = await app.inject({
        method: 'PATCH',
        url: '/api/v1/users/me',
        headers: { ...bearer(customer.accessToken), 'content-type': 'application/json' },
        payload,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toEqual([`${key}: property ${key} should not exist`]);
      const me = await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(customer.accessToken) });
      expect(me.json().name).not.toBe(`Renamed ${key}`);
    },
  );

  it.each([
    [{ name: null }, 'name'],
    [{ currentPassword: '', name: null }, 'name'],
    [{ password: null, currentPassword: 'whatever-it-is' }, 'password'],
    [{ password: 'a-new-password-1', currentPassword: null }, 'currentPassword'],
  ])('PATCH /users/me with %j is a 400 naming %s, not a 500, and changes nothing', async (payload, field) => {
    const before = (await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(customer.accessToken) })).json();
    const res = await app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: bearer(customer.accessToken), payload });
    expect(res.statusCode).toBe(400);
    expect((res.json().message as string[]).some((m) => m.startsWith(`${field}: `))).toBe(true);
    const after = await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(customer.accessToken) });
    expect(after.statusCode).toBe(200);
    expect(after.json()).toEqual(before);
  });

  it.each([
    [
      'POST',
      '/api/v1/products',
      { sku: 'NULLS-1', name: 'Nulls', priceCents: 100, categoryId: '3f1c2a9e-6f0e-4a55-b1f6-1f7f2d9b8c11', description: null },
    ],
    [
      'POST',
      '/api/v1/products',
      { sku: 'NULLS-2', name: 'Nulls', priceCents: 100, categoryId: '3f1c2a9e-6f0e-4a55-b1f6-1f7f2d9b8c11', stock: null },
    ],
    ['POST', '/api/v1/categories', { name: null, slug: 'nulls' }],
    ['POST', '/api/v1/orders', { items: null }],
  ])('%s %s with a null field answers below 500', async (method, url, payload) => {
    const res = await app.inject({
      method: method as 'POST',
      url,
      headers: { ...bearer(admin.accessToken), 'idempotency-key': `nulls-${url}-${JSON.stringify(payload).length}` },
      payload,
    });
    expect(res.statusCode).toBeLessThan(500);
  });

  it('an inherited key nested in an array item is refused by its path', async () => {
    const res = await app.inject({
      method: 'PATCH',
      url: '/api/v1/products/inventory',
      headers: { ...bearer(admin.accessToken), 'content-type': 'application/json' },
      payload: `{"items":[{"productId":"3f1c2a9e-6f0e-4a55-b1f6-1f7f2d9b8c11","stock":1,"constructor":{}}]}`,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toEqual(['items.0.constructor: property constructor should not exist']);
  });

  it.each(['constructor=1', 'toString=x', '__proto__=1', 'prototype=1'])(
    'an unknown query parameter %s is refused with 400 like any other',
    async (query) => {
      const res = await app.inject({ method: 'GET', url: `/api/v1/products?${query}` });
      expect(res.statusCode).toBe(400);
      const key = query.split('=')[0];
      expect(res.json().message).toEqual([`${key}: property ${key} should not exist`]);
    },
  );

  it('a body field named __proto__ is refused as a field, not as malformed JSON', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/cart/items',
      headers: { 'content-type': 'application/json' },
      payload: '{"productId":"3f1c2a9e-6f0e-4a55-b1f6-1f7f2d9b8c11","quantity":1,"__proto__":null}',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toEqual(['body: fields named __proto__, or constructor with a prototype field, are not allowed']);
  });

  it('a body nested too deep names the field it is nested under', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      headers: { 'content-type': 'application/json' },
      payload: `{"refreshToken":${'{"a":'.repeat(40)}1${'}'.repeat(40)}}`,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toEqual(['refreshToken.a.a.a…: is nested deeper than 32 levels']);
  });
});

/** Found by `npm run chaos`: every 503 of a Redis outage was logged as "unhandled error" with its stack. */
describe('chaos findings', () => {
  @Public()
  @Controller('probe-unavailable')
  class ProbeController {
    @Get()
    fail(): never {
      throw new UnavailableError('cart: temporarily unavailable', 3);
    }
  }

  @Module({ controllers: [ProbeController] })
  class ProbeModule {}

  let app: NestFastifyApplication;
  let output = '';

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        output += chunk.toString();
        done();
      },
    });
    app = await createTestApp({ LOG_LEVEL: 'info' }, { imports: [ProbeModule], logDestination: sink });
  });
  afterAll(async () => {
    await app.close();
  });

  it('a dependency outage (UnavailableError) answers 503 with Retry-After and logs one warn line without a stack, not an unhandled error', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/probe-unavailable', headers: { 'x-request-id': 'chaos-503-1' } });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('3');
    expect(res.json()).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'cart: temporarily unavailable',
      requestId: 'chaos-503-1',
    });
    const lines = output
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.requestId === 'chaos-503-1');
    expect(lines.filter((l) => l.msg === 'unhandled error')).toEqual([]);
    const warn = lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('dependency unavailable'));
    expect(warn).toMatchObject({ level: 40, url: '/api/v1/probe-unavailable' });
    expect(JSON.stringify(warn)).not.toMatch(/\n\s+at |stack/);
  });
});
