import { jest } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createAdmin } from '../support/auth.js';
import { createTestApp } from '../support/test-app.js';
import { CatalogCache } from '../../libs/catalog/src/services/catalog-cache.service.js';
import { ProductListRepository } from '../../libs/catalog/src/repositories/product-list.repository.js';
import { ProductReader } from '../../libs/catalog/src/services/product-reader.service.js';
import { ReplicaFreshness } from '../../libs/catalog/src/services/replica-freshness.service.js';
import { CATALOG_TEST_ENV, CatalogClient, getJson, uniq, type Category, type Product } from './catalog-fixtures.js';
import { WalPositionRepository } from '../../libs/database/src/repositories/wal-position.repository.js';
import { withReplayPaused } from './replay-control.js';

type Page = { items: Product[]; total: number };

/**
 * "After an admin write returns, every read on every instance shows it": PATCH on one instance,
 * then GET the product and a list on the same and on another instance, 50 times, while replica
 * replay is paused for part of the run and background readers keep loads in flight. Versions are
 * encoded in the name/price so a read can say which write it reflects.
 */
// A keyspace of its own (as catalog-cache does): the cache invalidations of the many instances that
// other suites run in parallel (each write waits for every live instance's acknowledgement) must not
// set the pace of these 50 × 2 writes.
const ENV = { ...CATALOG_TEST_ENV, REDIS_KEY_PREFIX: `${process.env.REDIS_KEY_PREFIX}k` };

describe('read-after-write consistency', () => {
  let a: NestFastifyApplication;
  let b: NestFastifyApplication;
  let admin: CatalogClient;
  let category: Category;

  beforeAll(async () => {
    [a, b] = await Promise.all([createTestApp(ENV), createTestApp(ENV)]);
    admin = new CatalogClient(a, (await createAdmin(a)).accessToken);
    const tag = uniq();
    category = await admin.createCategory({ name: `Cons ${tag}`, slug: `cons-${tag}` });
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  const versionOf = (p: Product): number => Number(p.name.split(' v')[1]);

  /** Reads that started after write n returned must show ≥ n. */
  function backgroundReaders(
    urls: { app: NestFastifyApplication; url: string; pick: (body: unknown) => Product }[],
    committed: () => number,
  ) {
    let stop = false;
    const violations: string[] = [];
    let reads = 0;
    const loops = urls.map(async ({ app, url, pick }) => {
      while (!stop) {
        const floor = committed();
        const res = await app.inject({ method: 'GET', url });
        reads++;
        const seen = versionOf(pick(res.json()));
        if (seen < floor) violations.push(`${url}: saw v${seen} after v${floor} returned`);
      }
    });
    return {
      async stop() {
        stop = true;
        await Promise.all(loops);
        return { violations, reads };
      },
    };
  }

  async function run(label: string, writer: NestFastifyApplication[], readers: NestFastifyApplication[]): Promise<void> {
    const product = await admin.createProduct({ name: `${label} v0`, priceCents: 0, stock: 1, categoryId: category.id });
    const listUrl = `/api/v1/products?category=${category.slug}&q=${encodeURIComponent(label)}`;
    const byId = `/api/v1/products/${product.id}`;
    for (const app of [a, b]) {
      await getJson(app, byId);
      await getJson(app, listUrl);
    }
    let committed = 0;
    const background = backgroundReaders(
      readers.flatMap((app) => [
        { app, url: byId, pick: (body: unknown) => body as Product },
        { app, url: listUrl, pick: (body: unknown) => (body as Page).items[0] },
      ]),
      () => committed,
    );
    const freshness = readers.map((app) => app.get(ReplicaFreshness));
    const laggingBefore = freshness.reduce((n, f) => n + f.reads.lagging, 0);
    const stale: string[] = [];
    const iteration = async (i: number): Promise<void> => {
      const via = writer[i % writer.length];
      const res = await admin.patchProduct(product.id, { name: `${label} v${i}`, priceCents: i }, via);
      expect(res.statusCode).toBe(200);
      committed = i;
      for (const app of readers) {
        const one = await getJson<Product>(app, byId);
        if (one.body.name !== `${label} v${i}` || one.body.priceCents !== i) stale.push(`GET by id v${i}: ${one.body.name}`);
        const list = await getJson<Page>(app, listUrl);
        if (list.body.items[0]?.name !== `${label} v${i}`) stale.push(`list v${i}: ${list.body.items[0]?.name}`);
        const priced = await getJson<Page>(app, `${listUrl}&minPrice=${i}&maxPrice=${i}`);
        if (priced.body.total !== 1) stale.push(`price filter v${i}: total ${priced.body.total}`);
      }
    };
    try {
      for (let i = 1; i <= 20; i++) await iteration(i);
      // Replica replay paused: list loads must notice the replica is behind and use the primary.
      await withReplayPaused(async () => {
        for (let i = 21; i <= 35; i++) await iteration(i);
      });
      for (let i = 36; i <= 50; i++) await iteration(i);
    } finally {
      const { violations, reads } = await background.stop();
      stale.push(...violations);
      expect(reads).toBeGreaterThan(50);
    }
    expect(stale).toEqual([]);
    const laggingAfter = freshness.reduce((n, f) => n + f.reads.lagging, 0);
    expect(laggingAfter).toBeGreaterThan(laggingBefore); // the paused window really exercised the fallback
  }

  // Readers in tight loops share the event loop with the writes: on a busy machine the writes take
  // longer than the default test timeout, which says nothing about consistency.
  it('50 × PATCH then GET/list on one instance never shows an old value', async () => {
    await run(`one-${uniq()}`, [a], [a]);
  }, 480_000);

  it('50 × PATCH on one instance then GET/list on another (alternating) never shows an old value', async () => {
    await run(`two-${uniq()}`, [a, b], [b, a]);
  }, 480_000);

  it('uses the replica for list loads once it has replayed the last write', async () => {
    const freshness = b.get(ReplicaFreshness);
    const before = freshness.reads.replica;
    const deadline = Date.now() + 10_000;
    while (freshness.reads.replica === before && Date.now() < deadline) {
      // a new query each time: a cache miss, so the loader runs
      await getJson(b, `/api/v1/products?category=${category.slug}&minPrice=${Math.floor(Math.random() * 1e9)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(freshness.reads.replica).toBeGreaterThan(before);
  });

  it('a replica connection that reported the needed position is not asked again until a write raises it', async () => {
    const freshness = b.get(ReplicaFreshness);
    const checks = b.get(WalPositionRepository).replayChecks;
    const listOf = () => getJson<Page>(b, `/api/v1/products?category=${category.slug}&minPrice=${Math.floor(Math.random() * 1e9)}`);
    // Until every pooled replica connection has reported once, loads may still ask.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const before = { ...checks };
      const replicaBefore = freshness.reads.replica;
      for (let i = 0; i < 10; i++) await listOf();
      if (checks.queried === before.queried && freshness.reads.replica - replicaBefore === 10) {
        expect(checks.remembered - before.remembered).toBe(10);
        break;
      }
      if (Date.now() > deadline) throw new Error(`replica checks kept being queried: ${JSON.stringify(checks)}`);
      await new Promise((r) => setTimeout(r, 100));
    }

    // A write raises the position list reads need: the next replica read asks again.
    const product = await admin.createProduct({ name: `Remembered ${uniq()}`, priceCents: 1, stock: 1, categoryId: category.id });
    const asked = checks.queried;
    const page = await getJson<Page>(b, `/api/v1/products?category=${category.slug}&q=${encodeURIComponent(product.name)}`);
    expect(page.body.items.map((p) => p.id)).toEqual([product.id]);
    expect(checks.queried).toBeGreaterThan(asked);
  }, 60_000);

  it('list loads under one product-lists version read the commit LSN from Redis once; a write makes the next load read it again', async () => {
    const freshness = b.get(ReplicaFreshness);
    const reads = freshness.commitLsnReads;
    const listOf = () => getJson<Page>(b, `/api/v1/products?category=${category.slug}&minPrice=${Math.floor(Math.random() * 1e9)}`);
    await listOf(); // the first load under the current version may read it
    const before = { ...reads };
    for (let i = 0; i < 10; i++) await listOf();
    expect(reads.redis).toBe(before.redis);
    expect(reads.reused - before.reused).toBe(10);

    // A write records a newer LSN and bumps the version: the next load reads the LSN again and
    // shows the write (through the replica once it replayed that far, else from the primary).
    const product = await admin.createProduct({ name: `Lsn ${uniq()}`, priceCents: 1, stock: 1, categoryId: category.id });
    const page = await getJson<Page>(b, `/api/v1/products?category=${category.slug}&q=${encodeURIComponent(product.name)}`);
    expect(page.body.items.map((p) => p.id)).toEqual([product.id]);
    expect(reads.redis).toBe(before.redis + 1);
  }, 60_000);

  it('a product load that started before a write cannot store its old value afterwards (stale-set race)', async () => {
    const product = await admin.createProduct({ name: 'race v0', priceCents: 0, categoryId: category.id });
    const reader = b.get(ProductReader);
    await b.get(CatalogCache).products.delete(product.id); // cold
    const original = reader.loadProduct.bind(reader);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let blocked = false;
    let readDone = false;
    const spy = jest.spyOn(reader, 'loadProduct').mockImplementation(async (id, manager) => {
      if (blocked) return original(id, manager);
      blocked = true;
      const old = await original(id, manager); // reads v0 from the database...
      readDone = true;
      await gate; // ...and is slow to store it
      return old;
    });
    try {
      const stalled = getJson<Product>(b, `/api/v1/products/${product.id}`);
      while (!readDone) await new Promise((r) => setTimeout(r, 5));
      const write = await admin.patchProduct(product.id, { name: 'race v1' }); // commits and invalidates meanwhile
      expect(write.statusCode).toBe(200);
      release();
      expect((await stalled).body.name).toBe('race v0'); // the stalled request answers what it read...
      // ...but its store lost the compare-and-set: nobody sees v0 any more
      for (const app of [a, b, a, b]) expect((await getJson<Product>(app, `/api/v1/products/${product.id}`)).body.name).toBe('race v1');
    } finally {
      release();
      spy.mockRestore();
    }
  });

  it('a list load that started before a write cannot store its old page afterwards', async () => {
    const tag = uniq();
    const product = await admin.createProduct({ name: `list-race-${tag} v0`, priceCents: 0, categoryId: category.id });
    const query = b.get(ProductListRepository);
    const original = query.run.bind(query);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let blocked = false;
    let readDone = false;
    const spy = jest.spyOn(query, 'run').mockImplementation(async (m, n) => {
      if (blocked) return original(m, n);
      blocked = true;
      const page = await original(m, n);
      readDone = true;
      await gate;
      return page;
    });
    const url = `/api/v1/products?q=list-race-${tag}`;
    try {
      const stalled = getJson<Page>(b, url);
      while (!readDone) await new Promise((r) => setTimeout(r, 5));
      expect((await admin.patchProduct(product.id, { name: `list-race-${tag} v1` })).statusCode).toBe(200);
      release();
      expect((await stalled).body.items[0].name).toBe(`list-race-${tag} v0`);
      for (const app of [a, b]) expect((await getJson<Page>(app, url)).body.items[0].name).toBe(`list-race-${tag} v1`);
    } finally {
      release();
      spy.mockRestore();
    }
  });
});
