import 'reflect-metadata';
import {
  Controller,
  Get,
  Injectable,
  Module,
  Param,
  Post,
  Query,
  UseGuards,
  UseInterceptors,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { CacheAside } from '../core/cache-aside.js';
import { CacheKit, SHARED_REDIS_URL } from '../core/testing/kit.js';
import { CounterService } from '../counters/counter.service.js';
import { CacheService } from '../create-cache.js';
import { Invalidator } from '../invalidation/invalidator.js';
import { LockService } from '../locks/lock.service.js';
import { RedisAdmin } from '../admin/redis-admin.js';
import { RedisBatch } from '../batch/redis-batch.js';
import type { RedisClient } from '../redis/connection.js';
import { CacheStats } from '../stats/cache-stats.js';
import { CacheHealthIndicator } from './cache-health.indicator.js';
import { CacheModule, InjectCache } from './cache.module.js';
import { getCacheForDecorators } from './decorator-registry.js';
import { CachePerUser, CachePublic, NoHttpCache } from './http-cache.decorators.js';
import { HttpCacheInterceptor, normalizeQuery } from './http-cache.interceptor.js';
import { CacheEvict, CachePut, Cacheable } from './method-decorators.js';
import { REDIS_CLIENT } from './tokens.js';

const kit = new CacheKit('nest');
afterAll(() => kit.cleanup());

@Injectable()
class ProductRepo {
  db = new Map<number, { id: number; name: string }>([[1, { id: 1, name: 'one' }]]);
  reads = 0;

  @Cacheable({ namespace: 'products', key: (id: number) => ['p', id], ttl: 10_000, tags: (id: number) => [`product-${id}`] })
  async find(id: number): Promise<{ id: number; name: string } | null> {
    this.reads++;
    return this.db.get(id) ?? null;
  }

  @CacheEvict({ namespace: 'products', key: (id: number) => ['p', id] })
  async rename(id: number, name: string): Promise<void> {
    this.db.set(id, { id, name });
  }

  @CachePut({ namespace: 'products', keyFromResult: (row: { id: number }) => ['p', row.id] })
  async upsert(id: number, name: string): Promise<{ id: number; name: string }> {
    const row = { id, name };
    this.db.set(id, row);
    return row;
  }

  @CacheEvict({ namespace: 'products', allEntries: true })
  async truncate(): Promise<void> {
    this.db.clear();
  }

  // An unannotated callback compiles: its parameter is `any`, as a method decorator cannot see the method's.
  @CacheEvict({ namespace: 'products', tags: (id) => [`product-${id.toString()}`] })
  async touch(id: number, name: string): Promise<void> {
    this.db.set(id, { id, name });
  }
}

@Injectable()
class Consumer {
  constructor(
    readonly svc: CacheService,
    readonly aside: CacheAside,
    readonly invalidator: Invalidator,
    readonly stats: CacheStats,
    readonly locks: LockService,
    readonly counters: CounterService,
    readonly batch: RedisBatch,
    readonly admin: RedisAdmin,
    readonly health: CacheHealthIndicator,
    @InjectCache('orders') readonly orders: CacheAside,
  ) {}
}

@Injectable()
class FakeAuthGuard implements CanActivate {
  canActivate(ctx: ExecutionContext): boolean {
    const req = ctx.switchToHttp().getRequest<{ headers: Record<string, string>; user?: { id: string } }>();
    if (req.headers['x-user']) req.user = { id: req.headers['x-user'] };
    return true;
  }
}

let handlerRuns = 0;

@Controller('catalog')
@UseGuards(FakeAuthGuard)
@UseInterceptors(HttpCacheInterceptor)
class CatalogController {
  @Get('items/:id')
  item(@Param('id') id: string, @Query() q: Record<string, string>) {
    handlerRuns++;
    return { id, q, run: handlerRuns };
  }

  @Get('public')
  @CachePublic()
  pub() {
    handlerRuns++;
    return { run: handlerRuns };
  }

  @Get('me')
  @CachePerUser()
  me() {
    handlerRuns++;
    return { run: handlerRuns };
  }

  @Get('live')
  @NoHttpCache()
  live() {
    handlerRuns++;
    return { run: handlerRuns };
  }

  @Get('decorated/:id')
  @NoHttpCache()
  @Cacheable({ namespace: 'ctl', key: (id: string) => ['d', id] })
  decorated(@Param('id') id: string) {
    handlerRuns++;
    return { id, run: handlerRuns };
  }

  @Post('items')
  create() {
    handlerRuns++;
    return { run: handlerRuns };
  }
}

@Module({ imports: [CacheModule.forFeature(['orders'])], providers: [ProductRepo, Consumer], controllers: [CatalogController] })
class FeatureModule {}

describe('CacheModule (Nest)', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        CacheModule.forRootAsync({
          useFactory: async () => ({ redis: { url: SHARED_REDIS_URL }, prefix: kit.prefix, http: { ttl: 10_000 } }),
        }),
        FeatureModule,
      ],
    }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    await app.get(CacheService).ready();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('provides the cache objects by class and by token', () => {
    const c = app.get(Consumer);
    expect(c.svc).toBeInstanceOf(CacheService);
    expect(c.aside).toBe(c.svc.cache);
    expect(c.invalidator).toBe(c.svc.invalidator);
    expect(c.stats).toBe(c.svc.stats);
    expect(c.locks).toBe(c.svc.locks);
    expect(c.counters).toBe(c.svc.counters);
    expect(c.batch).toBe(c.svc.batch);
    expect(c.admin).toBe(c.svc.admin);
    expect(c.orders).toBe(c.svc.namespace('orders'));
    expect(app.get<RedisClient>(REDIS_CLIENT)).toBe(c.svc.client);
    expect(getCacheForDecorators()).toBe(c.svc);
  });

  it('@Cacheable caches the method result; @CacheEvict / @CachePut keep it correct', async () => {
    const repo = app.get(ProductRepo);
    expect(await repo.find(1)).toEqual({ id: 1, name: 'one' });
    expect(await repo.find(1)).toEqual({ id: 1, name: 'one' });
    expect(repo.reads).toBe(1);
    await repo.rename(1, 'uno');
    expect(await repo.find(1)).toEqual({ id: 1, name: 'uno' });
    expect(repo.reads).toBe(2);
    await repo.upsert(1, 'eins');
    expect(await repo.find(1)).toEqual({ id: 1, name: 'eins' });
    expect(repo.reads).toBe(2);
    await repo.touch(1, 'un');
    expect(await repo.find(1)).toEqual({ id: 1, name: 'un' });
    expect(repo.reads).toBe(3);
    expect(await repo.find(2)).toBeNull(); // null is cached like any value
    expect(await repo.find(2)).toBeNull();
    expect(repo.reads).toBe(4);
    await repo.truncate();
    expect(await repo.find(1)).toBeNull();
    expect(repo.reads).toBe(5);
  });

  it('decorated methods keep their name', () => {
    expect(ProductRepo.prototype.find.name).toBe('find');
  });

  const inject = (url: string, headers: Record<string, string> = {}, method: 'GET' | 'POST' = 'GET') =>
    app.getHttpAdapter().getInstance().inject({ method, url, headers });

  it('HttpCacheInterceptor: MISS then HIT, query order does not matter', async () => {
    const first = await inject('/catalog/items/7?b=2&a=1');
    expect(first.headers['x-cache']).toBe('MISS');
    const second = await inject('/catalog/items/7?a=1&b=2');
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.json()).toEqual(first.json());
    const other = await inject('/catalog/items/8?a=1&b=2');
    expect(other.headers['x-cache']).toBe('MISS');
    expect(other.json().id).toBe('8');
  });

  it('per-user routes key by caller and are not cached without one', async () => {
    const a1 = await inject('/catalog/me', { 'x-user': 'alice' });
    const a2 = await inject('/catalog/me', { 'x-user': 'alice' });
    const b1 = await inject('/catalog/me', { 'x-user': 'bob' });
    expect(a1.headers['x-cache']).toBe('MISS');
    expect(a2.headers['x-cache']).toBe('HIT');
    expect(a2.json()).toEqual(a1.json());
    expect(b1.headers['x-cache']).toBe('MISS');
    expect(b1.json()).not.toEqual(a1.json());
    const anon = await inject('/catalog/me');
    expect(anon.headers['x-cache']).toBeUndefined();
  });

  it('does not share responses of authenticated callers on unmarked routes; public routes are shared', async () => {
    const withUser = await inject('/catalog/items/9', { 'x-user': 'carol' });
    expect(withUser.headers['x-cache']).toBeUndefined();
    const p1 = await inject('/catalog/public', { 'x-user': 'carol' });
    const p2 = await inject('/catalog/public');
    expect(p1.headers['x-cache']).toBe('MISS');
    expect(p2.headers['x-cache']).toBe('HIT');
  });

  it('only caches GET, and honours @NoHttpCache', async () => {
    const post1 = await inject('/catalog/items', {}, 'POST');
    const post2 = await inject('/catalog/items', {}, 'POST');
    expect(post1.headers['x-cache']).toBeUndefined();
    expect(post2.json().run).toBeGreaterThan(post1.json().run);
    const l1 = await inject('/catalog/live');
    const l2 = await inject('/catalog/live');
    expect(l2.json().run).toBeGreaterThan(l1.json().run);
    expect(l2.headers['x-cache']).toBeUndefined();
  });

  it('@Cacheable on a route handler keeps the route (and its params) working', async () => {
    const r1 = await inject('/catalog/decorated/5');
    const r2 = await inject('/catalog/decorated/5');
    expect(r1.statusCode).toBe(200);
    expect(r1.json().id).toBe('5');
    expect(r2.json()).toEqual(r1.json());
    expect((await inject('/catalog/decorated/6')).json().id).toBe('6');
  });

  it('health indicator reports up with latency', async () => {
    const res = await app.get(CacheHealthIndicator).isHealthy('redis');
    expect(res.redis.status).toBe('up');
    expect(typeof res.redis.latencyMs).toBe('number');
  });

  it('normalizeQuery sorts keys and values', () => {
    expect(normalizeQuery('b=2&a=1&a=0')).toBe('a=0&a=1&b=2');
    expect(normalizeQuery('')).toBe('');
  });
});

describe('CacheModule lifecycle', () => {
  it('forRoot works, and app.close() closes the Redis connection and unregisters the decorators', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [CacheModule.forRoot({ redis: { url: SHARED_REDIS_URL }, prefix: kit.prefix })],
    }).compile();
    const app = moduleRef.createNestApplication(new FastifyAdapter());
    await app.init();
    const svc = app.get(CacheService);
    await svc.ready();
    expect(getCacheForDecorators()).toBe(svc);
    await app.close();
    expect(svc.client.status).toBe('end');
    expect(getCacheForDecorators()).toBeUndefined();
  });

  it('health indicator reports down when Redis is unreachable', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [CacheModule.forRoot({ redis: { url: 'redis://127.0.0.1:1', connectTimeoutMs: 100 }, prefix: kit.prefix })],
    }).compile();
    const app = moduleRef.createNestApplication(new FastifyAdapter());
    await app.init();
    const res = await app.get(CacheHealthIndicator).isHealthy('redis', { timeoutMs: 200 });
    expect(res.redis.status).toBe('down');
    const degraded = await app.get(CacheHealthIndicator).isHealthy('redis', { timeoutMs: 200, downIsDegraded: true });
    expect(degraded.redis.status).toBe('degraded');
    await app.close();
  });

  it('decorated methods run uncached without a module', async () => {
    const repo = new ProductRepo();
    const before = getCacheForDecorators();
    expect(before).toBeUndefined();
    await repo.find(1);
    await repo.find(1);
    expect(repo.reads).toBe(2);
  });
});
