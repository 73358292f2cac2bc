import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startRedisServer, type RedisServerHandle } from '@app/cache/testing/redis-harness.js';
import { Redis } from 'ioredis';
import { bearer, randomClientIp, registerUser, type RegisteredUser } from '../support/auth.js';
import { ProductFactory, type Product } from '../support/catalog.js';
import { createTestApp } from '../support/test-app.js';
import { CART_TEST_ENV, CartClient, scanKeys } from '../cart/cart-fixtures.js';

const GUEST_LIMIT = 3;

/**
 * REDIS_CACHE_URL: cached values on a Redis of their own that evicts (allkeys-lru), while the main
 * one (noeviction) keeps carts, rate-limit and sign-in counters. Private redis-servers for both, so
 * their memory limits and the outage touch nobody else.
 */
describe('cached values on a Redis server of their own (REDIS_CACHE_URL, allkeys-lru)', () => {
  const prefix = `${process.env.REDIS_KEY_PREFIX}s`;
  let main: RedisServerHandle;
  let cacheServer: RedisServerHandle;
  let mainClient: Redis;
  let cacheClient: Redis;
  let app: NestFastifyApplication;
  let cart: CartClient;
  let factory: ProductFactory;
  let products: Product[];
  let user: RegisteredUser;
  const guestIp = randomClientIp();

  beforeAll(async () => {
    [main, cacheServer] = await Promise.all([
      startRedisServer({ args: ['--maxmemory-policy', 'noeviction'] }),
      startRedisServer({ args: ['--maxmemory-policy', 'allkeys-lru'] }),
    ]);
    mainClient = new Redis(main.url);
    cacheClient = new Redis(cacheServer.url, { maxRetriesPerRequest: 1 });
    app = await createTestApp({
      ...CART_TEST_ENV,
      CART_GUEST_THROTTLE_IP_LIMIT: String(GUEST_LIMIT),
      REDIS_URL: main.url,
      REDIS_CACHE_URL: cacheServer.url,
      REDIS_KEY_PREFIX: prefix,
    });
    cart = new CartClient(app);
    factory = await ProductFactory.create(app);
    products = await factory.products(20);
    user = await registerUser(app);
  });
  afterAll(async () => {
    await app?.close();
    mainClient?.disconnect();
    cacheClient?.disconnect();
    await Promise.all([main?.dispose(), cacheServer?.dispose()]);
  });

  const keysOf = (client: Redis) => scanKeys(client, `${prefix}:*`);
  const readAll = async () => {
    for (const p of products) expect((await app.inject({ method: 'GET', url: `/api/v1/products/${p.id}` })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/v1/products?sort=-createdAt&limit=20' })).statusCode).toBe(200);
  };

  it('cached values are written to the cache server only; carts and limits to the main one', async () => {
    await readAll();
    expect((await cart.add(products[0].id, 2, { token: user.accessToken })).statusCode).toBe(200);
    for (let i = 0; i < GUEST_LIMIT; i++)
      expect((await cart.add(products[1].id, 1, { headers: { 'x-forwarded-for': guestIp } })).statusCode).toBe(200);
    expect((await cart.add(products[1].id, 1, { headers: { 'x-forwarded-for': guestIp } })).statusCode).toBe(429);

    const [cached, durable] = await Promise.all([keysOf(cacheClient), keysOf(mainClient)]);
    for (const p of products) expect(cached.some((k) => k.includes(p.id))).toBe(true);
    expect(durable.some((k) => products.some((p) => k.includes(p.id)))).toBe(false);
    expect(cached.some((k) => k.includes('{cart:'))).toBe(false);
    expect(durable.filter((k) => k.includes('{cart:')).length).toBeGreaterThanOrEqual(2);
  });

  it('at its memory limit the cache server evicts cached values; carts, sessions and limits stay, and reads stay right', async () => {
    await readAll();
    const durableBefore = (await keysOf(mainClient)).sort();
    const cachedBefore = (await keysOf(cacheClient)).filter((k) => products.some((p) => k.includes(p.id)));
    const used = Number(/used_memory:(\d+)/.exec(await cacheClient.info('memory'))![1]);
    await cacheClient.config('SET', 'maxmemory', String(used + 1024 * 1024));
    try {
      // Someone else's cache traffic: 6 MB of newer values through a 1 MB headroom.
      const filler = 'x'.repeat(20_000);
      for (let i = 0; i < 300; i++) await cacheClient.set(`filler:${i}`, filler);
      const evicted = Number(/evicted_keys:(\d+)/.exec(await cacheClient.info('stats'))![1]);
      expect(evicted).toBeGreaterThan(0);
      const cachedAfter = (await keysOf(cacheClient)).filter((k) => cachedBefore.includes(k));
      expect(cachedAfter.length).toBeLessThan(cachedBefore.length);

      // Nothing on the main server went: every cart, counter and limit window is still there.
      expect((await keysOf(mainClient)).sort()).toEqual(durableBefore);
      const mine = await cart.get({ token: user.accessToken });
      expect(mine.json().items).toEqual([expect.objectContaining({ productId: products[0].id, quantity: 2 })]);
      expect((await cart.add(products[1].id, 1, { headers: { 'x-forwarded-for': guestIp } })).statusCode).toBe(429);
      expect((await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(user.accessToken) })).statusCode).toBe(200);
      const refreshed = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: user.refreshToken } });
      expect(refreshed.statusCode).toBe(200);
      user = { ...user, accessToken: refreshed.json().accessToken, refreshToken: refreshed.json().refreshToken };

      // Evicted entries are loaded again, and a write is seen at once.
      for (const p of products)
        expect((await app.inject({ method: 'GET', url: `/api/v1/products/${p.id}` })).json()).toMatchObject({ id: p.id, name: p.name });
      expect((await factory.client.patchProduct(products[2].id, { priceCents: 4321 })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: `/api/v1/products/${products[2].id}` })).json()).toMatchObject({ priceCents: 4321 });

      const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).toMatch(/^redis_cache_maxmemory_policy_info\{policy="allkeys-lru"\} 1$/m);
      expect(metrics).toMatch(/^redis_cache_evicted_keys_total [1-9]\d*$/m);
      expect(metrics).toMatch(/^redis_maxmemory_policy_info\{policy="noeviction"\} 1$/m);
      expect(metrics).toMatch(/^redis_evicted_keys_total 0$/m);
    } finally {
      await cacheClient.config('SET', 'maxmemory', '0');
    }
  });

  it('with the cache server down, catalog reads come from Postgres, carts keep working, readiness names it; all resumes when it is back', async () => {
    await cacheServer.stop();
    try {
      for (const p of products.slice(0, 5)) {
        const res = await app.inject({ method: 'GET', url: `/api/v1/products/${p.id}` });
        expect(res.statusCode).toBe(200);
        expect(res.json()).toMatchObject({ id: p.id });
      }
      expect((await cart.add(products[3].id, 1, { token: user.accessToken })).statusCode).toBe(200);
      const ready = await app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toMatchObject({
        status: 'degraded',
        error: { redisCache: { status: 'down' } },
        info: { redis: { status: 'up' } },
      });
    } finally {
      await cacheServer.start();
    }
    const deadline = Date.now() + 5_000;
    let state = '';
    while (Date.now() < deadline && state !== 'ok') {
      state = (await app.inject({ method: 'GET', url: '/health/ready' })).json().status;
      if (state !== 'ok') await new Promise((r) => setTimeout(r, 100));
    }
    expect(state).toBe('ok');
    const id = products[4].id;
    for (let i = 0; i < 2; i++) expect((await app.inject({ method: 'GET', url: `/api/v1/products/${id}` })).statusCode).toBe(200);
    expect((await keysOf(cacheClient)).some((k) => k.includes(id))).toBe(true);
  });
});
