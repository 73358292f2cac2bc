import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Response as InjectResponse } from 'light-my-request';
import { createAdmin, randomClientIp } from '../support/auth.js';
import { createTestApp } from '../support/test-app.js';
import { MetricsRegistry } from '../../apps/api/src/metrics/metrics.registry.js';
import { CATALOG_TEST_ENV, CatalogClient, uniq, type Category, type Product } from './catalog-fixtures.js';

const ROUTE = '/api/v1/products/:id';

/** GET /products/:id answered from L1 before Nest routes it (apps/api/src/http/cached-reads.ts). */
describe('cached reads: GET /products/:id from L1', () => {
  let app: NestFastifyApplication;
  let other: NestFastifyApplication;
  let limited: NestFastifyApplication;
  let admin: CatalogClient;
  let category: Category;

  beforeAll(async () => {
    [app, other, limited] = await Promise.all([
      createTestApp(CATALOG_TEST_ENV),
      createTestApp(CATALOG_TEST_ENV),
      createTestApp({ THROTTLE_LIMIT: '3', THROTTLE_TTL_SECONDS: '60' }),
    ]);
    admin = new CatalogClient(app, (await createAdmin(app)).accessToken);
    const tag = uniq();
    category = await admin.createCategory({ name: `Fast ${tag}`, slug: `fast-${tag}` });
  });
  afterAll(async () => {
    await Promise.all([app.close(), other.close(), limited.close()]);
  });

  /** Requests answered by the hook so far on `instance`. */
  const answered = (instance: NestFastifyApplication): number => instance.get(MetricsRegistry).cachedReads.get(ROUTE)?.answered ?? 0;
  const get = (instance: NestFastifyApplication, id: string, headers: Record<string, string> = {}): Promise<InjectResponse> =>
    instance.inject({ method: 'GET', url: `/api/v1/products/${id}`, headers });
  const product = (): Promise<Product> =>
    admin.createProduct({ name: `Fast ${uniq()}`, priceCents: 1234, stock: 5, categoryId: category.id });
  /**
   * GETs `id` on `instance` until the hook answers (at most 10 tries, 300 ms apart). The instance's
   * own store of the entry is reported back by Redis's tracking; a report later than the own-write
   * window (1 s, a loaded machine) is taken for an outside write and drops the entry by design, so
   * the read after a fill may miss once more.
   */
  const getFromHook = async (
    instance: NestFastifyApplication,
    id: string,
    headers: Record<string, string> = {},
  ): Promise<InjectResponse> => {
    for (let i = 0; ; i++) {
      const before = answered(instance);
      const res = await get(instance, id, headers);
      if (answered(instance) === before + 1 || i === 9) return res;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  };
  /** The headers both answers must agree on (the request id and date differ by nature). */
  const stable = (res: InjectResponse): Record<string, unknown> => {
    const { date: _date, 'x-request-id': _id, 'x-ratelimit-remaining': _left, ...rest } = res.headers;
    return rest;
  };

  it('answers a product L1 holds exactly as the controller does, headers included', async () => {
    const p = await product(); // written through `app`: only its L1 holds it
    const before = answered(other);
    const first = await get(other, p.id); // an L1 miss on `other`: the controller answers and fills L1
    expect(answered(other)).toBe(before);
    const second = await getFromHook(other, p.id);
    expect(answered(other)).toBe(before + 1);
    expect(second.statusCode).toBe(200);
    expect(second.body).toBe(first.body);
    expect(second.json<Product>()).toMatchObject({ id: p.id, name: p.name, priceCents: 1234 });
    expect(stable(second)).toEqual(stable(first));
    expect(second.headers).toMatchObject({
      etag: first.headers.etag,
      'cache-control': 'no-cache',
      'content-type': 'application/json; charset=utf-8',
      'x-content-type-options': 'nosniff',
      'x-ratelimit-limit': '1000000',
    });
    expect(second.headers['x-request-id']).toEqual(expect.any(String));
    expect(second.headers['x-request-id']).not.toBe(first.headers['x-request-id']);
  });

  it('answers If-None-Match with 304 and no body; an upper-case id is the same product', async () => {
    const p = await product();
    const first = await get(app, p.id);
    const before = answered(app);
    const notModified = await get(app, p.id, { 'if-none-match': first.headers.etag as string });
    expect(notModified.statusCode).toBe(304);
    expect(notModified.body).toBe('');
    expect(notModified.headers.etag).toBe(first.headers.etag);
    const upper = await get(app, p.id.toUpperCase());
    expect(upper.statusCode).toBe(200);
    expect(upper.body).toBe(first.body);
    expect(answered(app)).toBe(before + 2);
  });

  it('leaves malformed and unknown ids, and callers with a token, to the controller', async () => {
    const p = await product();
    await get(app, p.id);
    const before = answered(app);
    const bad = await get(app, 'not-a-uuid');
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ message: string[] }>().message).toEqual(['id: must be a UUID']);
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await get(app, unknown)).statusCode).toBe(404);
    expect((await get(app, unknown)).statusCode).toBe(404); // cached as unknown: still the controller's 404
    const withToken = await get(app, p.id, { authorization: `Bearer ${admin.token}` });
    expect(withToken.statusCode).toBe(200);
    expect(withToken.body).toBe((await get(app, p.id)).body);
    expect(answered(app)).toBe(before + 1); // only the last one, without a token
  });

  it('never answers an old body after a write, on the writing instance or another one', async () => {
    const p = await product();
    await Promise.all([get(app, p.id), get(other, p.id)]);
    await get(other, p.id); // other's L1 holds it
    const before = answered(other);
    expect((await admin.patchProduct(p.id, { name: 'Renamed at once' })).statusCode).toBe(200);
    // The write returns once every instance dropped the entry (invalidation bus): no stale hit.
    const after = await get(other, p.id);
    expect(after.json<Product>().name).toBe('Renamed at once');
    const again = await getFromHook(other, p.id);
    expect(again.json<Product>().name).toBe('Renamed at once');
    expect(answered(other)).toBe(before + 1);
  });

  it('counts on the same rate-limit counter as the guard, and the guard answers the 429', async () => {
    const p = await product();
    const ip = randomClientIp();
    const headers = { 'x-forwarded-for': ip };
    const remaining: string[] = [];
    const before = answered(limited);
    for (let i = 0; i < 3; i++) {
      const res = await get(limited, p.id, headers);
      expect(res.statusCode).toBe(200);
      remaining.push(res.headers['x-ratelimit-remaining'] as string);
    }
    // The first went through the guard (L1 miss), the next through the hook (both, unless a late
    // tracking report of the fill dropped the entry once, see getFromHook): one counter.
    expect(remaining).toEqual(['2', '1', '0']);
    const hooked = answered(limited) - before;
    expect(hooked).toBeGreaterThanOrEqual(1);
    expect(hooked).toBeLessThanOrEqual(2);
    const refused = await get(limited, p.id, headers);
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.json()).toMatchObject({ statusCode: 429, error: 'Too Many Requests', requestId: refused.headers['x-request-id'] });
    expect(answered(limited)).toBe(before + hooked);
    // Another client is not affected.
    expect((await get(limited, p.id, { 'x-forwarded-for': randomClientIp() })).statusCode).toBe(200);
  });

  it('answers over a real connection before Fastify (front door) exactly as the route hook does', async () => {
    await app.listen(0, '127.0.0.1');
    const base = await app.getUrl();
    const p = await product();
    const viaHook = await get(app, p.id); // inject(): Fastify's own request path (L1 miss: the controller)
    const viaHookAgain = await getFromHook(app, p.id); // now the route hook answers it from L1
    const count = (): { answered: number; beforeFastify: number } => ({
      answered: app.get(MetricsRegistry).cachedReads.get(ROUTE)?.answered ?? 0,
      beforeFastify: app.get(MetricsRegistry).frontDoor.get(ROUTE) ?? 0,
    });
    const before = count();
    const res = await fetch(`${base}/api/v1/products/${p.id}`);
    const body = await res.text();
    expect(count()).toEqual({ answered: before.answered + 1, beforeFastify: before.beforeFastify + 1 });
    expect(res.status).toBe(200);
    expect(body).toBe(viaHookAgain.body);
    const headers = Object.fromEntries(res.headers);
    // Connection headers (fetch hides them) and the values that differ per request aside, the same headers.
    const { date: _d, connection: _c2, 'keep-alive': _k2, 'x-request-id': id, 'x-ratelimit-remaining': _r, ...rest } = headers;
    const { connection: _c, 'keep-alive': _k, ...viaHookHeaders } = stable(viaHookAgain);
    expect(rest).toEqual(viaHookHeaders);
    expect(stable(viaHookAgain)).toEqual(stable(viaHook));
    expect(id).toEqual(expect.any(String));
    const notModified = await fetch(`${base}/api/v1/products/${p.id}`, { headers: { 'if-none-match': headers.etag } });
    expect(notModified.status).toBe(304);
    expect(count().beforeFastify).toBe(before.beforeFastify + 2);
    // A caller with a token goes through the guards, as with inject().
    const withToken = await fetch(`${base}/api/v1/products/${p.id}`, { headers: { authorization: `Bearer ${admin.token}` } });
    expect(withToken.status).toBe(200);
    expect(count().beforeFastify).toBe(before.beforeFastify + 2);
  });

  it('over a real connection, counts on the guard counter and lets the guard answer the 429', async () => {
    await limited.listen(0, '127.0.0.1');
    const base = await limited.getUrl();
    const p = await product();
    const count = (): number => limited.get(MetricsRegistry).frontDoor.get(ROUTE) ?? 0;
    const before = count();
    const statuses: number[] = [];
    const remaining: (string | null)[] = [];
    const client = { 'x-forwarded-for': randomClientIp() }; // from a trusted proxy (loopback): read as Fastify reads it
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${base}/api/v1/products/${p.id}`, { headers: client });
      statuses.push(res.status);
      remaining.push(res.headers.get('x-ratelimit-remaining'));
      await res.arrayBuffer();
    }
    // The first through the guard (L1 miss), the next two before Fastify, the fourth refused by the guard.
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(remaining.slice(0, 3)).toEqual(['2', '1', '0']);
    expect(count()).toBe(before + 2);
  });

  it('publishes its answers as http_cached_reads_total', async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    const line = res.body.split('\n').find((l) => l.startsWith(`http_cached_reads_total{route="${ROUTE}"}`));
    expect(Number(line?.split(' ')[1])).toBe(answered(app));
    expect(answered(app)).toBeGreaterThan(0);
  });
});
