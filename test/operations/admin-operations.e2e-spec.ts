import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { CacheService } from '@app/cache';
import { bearer, createAdmin, registerUser } from '../support/auth.js';
import { createTestApp } from '../support/test-app.js';

describe('admin operations routes', () => {
  let app: NestFastifyApplication;
  let admin: string;
  let customer: string;

  beforeAll(async () => {
    app = await createTestApp();
    admin = (await createAdmin(app)).accessToken;
    customer = (await registerUser(app)).accessToken;
  });
  afterAll(async () => {
    await app.close();
  });

  const get = (url: string, token?: string) => app.inject({ method: 'GET', url, headers: token ? bearer(token) : {} });

  it.each(['/api/v1/admin/cache/stats', '/api/v1/admin/redis/info'])('%s: 401 without a token, 403 for a customer', async (url) => {
    expect((await get(url)).statusCode).toBe(401);
    expect((await get(url, customer)).statusCode).toBe(403);
  });

  it('reports hits, misses and hit rate per namespace, totals and Redis figures', async () => {
    const ns = app.get(CacheService).namespace('ops-probe');
    await ns.getOrLoad('k1', async () => ({ v: 1 })); // miss
    await ns.getOrLoad('k1', async () => ({ v: 2 })); // hit
    const res = await get('/api/v1/admin/cache/stats', admin);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.namespaces['ops-probe']).toMatchObject({ hits: 1, misses: 1, hitRate: 0.5 });
    expect(body.totals.hits).toBeGreaterThanOrEqual(1);
    expect(body.redis.version).toMatch(/^\d+\.\d+/);
    expect(body.redis.usedMemoryBytes).toBeGreaterThan(0);
    expect(body.redis.keys).toBeGreaterThan(0);
    expect(typeof body.redis.keyspaceHits).toBe('number');
  });

  it('invalidates a whole namespace: the next read loads again', async () => {
    const ns = app.get(CacheService).namespace('ops-evict');
    let loads = 0;
    const load = () => ns.getOrLoad('k', async () => ++loads);
    expect(await load()).toBe(1);
    expect(await load()).toBe(1);
    const del = await app.inject({ method: 'DELETE', url: '/api/v1/admin/cache/ops-evict', headers: bearer(admin) });
    expect(del.statusCode).toBe(204);
    expect(await load()).toBe(2);
  });

  it('rejects a malformed namespace with 400 naming it', async () => {
    const res = await app.inject({ method: 'DELETE', url: '/api/v1/admin/cache/Bad*Name', headers: bearer(admin) });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toEqual([expect.stringMatching(/^namespace: /)]);
  });

  it('returns Redis INFO parsed into sections', async () => {
    const res = await get('/api/v1/admin/redis/info', admin);
    expect(res.statusCode).toBe(200);
    const info = res.json();
    expect(info.server.redis_version).toMatch(/^\d+\./);
    expect(typeof info.memory.used_memory).toBe('number');
  });
});
