import 'reflect-metadata';
import { CACHE_MANAGER, CacheInterceptor, CacheModule as NestCacheModule, CacheTTL, type Cache } from '@nestjs/cache-manager';
import { Controller, Get, Inject, Injectable, Module, Param, Post, UseInterceptors, type DynamicModule } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { CacheKit, SHARED_REDIS_URL, sleep } from '../core/testing/kit.js';
import { CacheService } from '../create-cache.js';
import { CacheModule } from '../nest/cache.module.js';
import { CacheKeyvStore, cacheManagerStore } from './keyv-store.js';

const kit = new CacheKit('cache-manager-nest');
const L1 = { max: 1_000, ttlMs: 30_000 };

/** Handler runs per app, so a test can tell a cached answer from a computed one. */
const runs = new Map<string, number>();

@Controller('items')
@UseInterceptors(CacheInterceptor)
class ItemsController {
  constructor(@Inject('APP_NAME') private readonly app: string) {}

  @Get('short/:id')
  @CacheTTL(1_000)
  short(@Param('id') id: string) {
    return this.answer(id);
  }

  @Get(':id')
  item(@Param('id') id: string) {
    return this.answer(id);
  }

  @Post(':id')
  touch(@Param('id') id: string) {
    return this.answer(id);
  }

  private answer(id: string) {
    const n = (runs.get(this.app) ?? 0) + 1;
    runs.set(this.app, n);
    return { id, app: this.app, run: n };
  }
}

/** Application code written against cache-manager, unchanged by the switch to libs/cache. */
@Injectable()
class Prices {
  constructor(@Inject(CACHE_MANAGER) readonly cache: Cache) {}

  set(sku: string, price: number) {
    return this.cache.set(`price:${sku}`, { sku, price });
  }

  get(sku: string) {
    return this.cache.get<{ sku: string; price: number }>(`price:${sku}`);
  }

  del(sku: string) {
    return this.cache.del(`price:${sku}`);
  }
}

async function start(name: string, cacheModules: DynamicModule[]): Promise<NestFastifyApplication> {
  @Module({
    imports: cacheModules,
    controllers: [ItemsController],
    providers: [Prices, { provide: 'APP_NAME', useValue: name }],
  })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

describe('@nestjs/cache-manager on libs/cache (CACHE_MANAGER and CacheInterceptor)', () => {
  let a: NestFastifyApplication;
  let b: NestFastifyApplication;
  let cacheA: CacheService;
  let cacheB: CacheService;

  beforeAll(async () => {
    // A: libs/cache's own module, and cache-manager on a namespace of its CacheService.
    a = await start('a', [
      CacheModule.forRoot({ redis: { url: SHARED_REDIS_URL }, prefix: kit.prefix, l1: L1 }),
      NestCacheModule.registerAsync({
        inject: [CacheService],
        useFactory: (cache: CacheService) => ({ stores: [cacheManagerStore(cache, { namespace: 'http' })], ttl: 30_000 }),
      }),
    ]);
    cacheA = a.get(CacheService);
    // B: the one-line switch, without libs/cache's Nest module (the store creates and owns its cache).
    const storeB = cacheManagerStore({ redis: { url: SHARED_REDIS_URL }, prefix: kit.prefix, l1: L1 }, { namespace: 'http' });
    b = await start('b', [NestCacheModule.register({ stores: [storeB], ttl: 30_000 })]);
    cacheB = (storeB.store as CacheKeyvStore).service;
    await Promise.all([cacheA.ready(), cacheB.ready()]);
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await kit.cleanup();
  });

  /** CacheInterceptor stores the response after sending it: wait until the entry is there. */
  const stored = async (url: string): Promise<void> => {
    for (let i = 0; i < 100 && (await cacheA.namespace('http').get(url, { l1: false })) === undefined; i++) await sleep(10);
  };

  const l1Hits = (svc: CacheService): number => svc.stats.snapshot().namespaces['http']?.l1Hits ?? 0;

  it('CACHE_MANAGER.set/get/del on one instance are seen by the other, L1 included', async () => {
    const pa = a.get(Prices);
    const pb = b.get(Prices);
    await pa.set('sku-1', 10);
    expect(await pa.get('sku-1')).toEqual({ sku: 'sku-1', price: 10 });
    expect(await pb.get('sku-1')).toEqual({ sku: 'sku-1', price: 10 }); // from Redis, now in B's L1
    const before = l1Hits(cacheB);
    expect(await pb.get('sku-1')).toEqual({ sku: 'sku-1', price: 10 });
    expect(l1Hits(cacheB)).toBe(before + 1); // answered by B's L1

    await pa.set('sku-1', 12); // drops the key from B's L1 before it returns
    expect(await pb.get('sku-1')).toEqual({ sku: 'sku-1', price: 12 });
    expect(await pb.get('sku-1')).toEqual({ sku: 'sku-1', price: 12 });

    expect(await pa.del('sku-1')).toBe(true);
    expect(await pb.get('sku-1')).toBeUndefined();
    expect(await pa.get('sku-1')).toBeUndefined();

    await pb.set('sku-2', 5);
    expect(await pa.get('sku-2')).toEqual({ sku: 'sku-2', price: 5 });
    // The value is an entry of libs/cache's "http" namespace, encoded by its serializer.
    expect(await cacheA.namespace('http').get('price:sku-2')).toEqual({ sku: 'sku-2', price: 5 });
    const raw = await (await kit.client()).get(cacheA.namespace('http').key('price:sku-2'));
    expect(raw).toContain('"sku":"sku-2"');
  });

  it('the module ttl reaches the Redis entry', async () => {
    await a.get(Prices).set('sku-ttl', 1);
    const pttl = await (await kit.client()).pttl(cacheA.namespace('http').key('price:sku-ttl'));
    expect(pttl).toBeGreaterThan(29_000);
    expect(pttl).toBeLessThanOrEqual(30_000);
  });

  it('CacheInterceptor caches GET responses across instances; POST is not cached', async () => {
    const first = await a.inject({ method: 'GET', url: '/items/1' });
    expect(first.statusCode).toBe(200);
    expect(first.headers['x-cache']).toBe('MISS');
    const body = first.json();
    expect(body).toMatchObject({ id: '1', app: 'a' });
    await stored('/items/1');

    const again = await a.inject({ method: 'GET', url: '/items/1' });
    expect(again.headers['x-cache']).toBe('HIT');
    expect(again.json()).toEqual(body);

    const onB = await b.inject({ method: 'GET', url: '/items/1' });
    expect(onB.headers['x-cache']).toBe('HIT');
    expect(onB.json()).toEqual(body); // computed by A, served by B
    expect(runs.get('b') ?? 0).toBe(0);

    const post1 = await a.inject({ method: 'POST', url: '/items/1' });
    const post2 = await a.inject({ method: 'POST', url: '/items/1' });
    expect(post2.json().run).toBe(post1.json().run + 1);

    // Evicting the response through B's CACHE_MANAGER makes A compute it again.
    const beforeA = runs.get('a')!;
    expect(await b.get<Cache>(CACHE_MANAGER).del('/items/1')).toBe(true);
    const recomputed = await a.inject({ method: 'GET', url: '/items/1' });
    expect(recomputed.headers['x-cache']).toBe('MISS');
    expect(recomputed.json().run).toBe(beforeA + 1);
  });

  it('@CacheTTL bounds the cached response', async () => {
    const first = await b.inject({ method: 'GET', url: '/items/short/7' });
    expect(first.headers['x-cache']).toBe('MISS');
    await stored('/items/short/7');
    expect((await a.inject({ method: 'GET', url: '/items/short/7' })).headers['x-cache']).toBe('HIT');
    await sleep(1_200);
    const later = await a.inject({ method: 'GET', url: '/items/short/7' });
    expect(later.headers['x-cache']).toBe('MISS');
    expect(later.json().app).toBe('a');
  });

  it('CACHE_MANAGER.clear() empties the namespace for every instance', async () => {
    await a.get(Prices).set('sku-c', 1);
    expect(await b.get(Prices).get('sku-c')).toEqual({ sku: 'sku-c', price: 1 });
    expect(await a.get<Cache>(CACHE_MANAGER).clear()).toBe(true);
    expect(await b.get(Prices).get('sku-c')).toBeUndefined();
    expect((await b.inject({ method: 'GET', url: '/items/1' })).headers['x-cache']).toBe('MISS');
  });

  it('closing the app closes the cache the store created, not one passed in', async () => {
    const owned = cacheManagerStore({ redis: { url: SHARED_REDIS_URL }, prefix: kit.prefix }, { namespace: 'http' });
    const c = await start('c', [NestCacheModule.register({ stores: [owned] })]);
    const svc = (owned.store as CacheKeyvStore).service;
    await svc.ready();
    await a.get(Prices).set('sku-own', 3);
    expect(await c.get(Prices).get('sku-own')).toEqual({ sku: 'sku-own', price: 3 });
    await c.close();
    expect(svc.client.status).toBe('end');
    expect(cacheA.client.status).toBe('ready');
  });
});
