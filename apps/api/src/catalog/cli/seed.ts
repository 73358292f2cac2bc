import 'reflect-metadata';
import type { DataSource, EntityManager } from 'typeorm';
import { createCache } from '@app/cache';
import { loadConfig, loadEnvFile, redisConnectionSettings, type AppConfig } from '@app/common';
import { buildDataSourceOptions, initializeDataSource, runMigrations } from '@app/database';
import { CATALOG_NAMESPACES } from '../services/catalog-cache.service.js';
import { commitLsnKey, LSN_SET_MAX_SCRIPT, normalizeLsn } from '../services/replica-freshness.service.js';
import { SEED_CATEGORIES, SEED_PRODUCTS, seedProducts, type SeedProduct } from './seed-data.js';

/**
 * `npm run seed`: loads the demo catalog (10 categories, ~70 products; SEED_PRODUCTS=n for a
 * bigger one made of variants). Idempotent: categories are upserted by slug and products by SKU
 * (name, description, price and category follow the seed; the stock of an existing product is
 * left alone, orders may have changed it). Rows that already match are not touched. Afterwards
 * the catalog caches of running APIs are invalidated the same way an admin write does it.
 */
async function main(): Promise<void> {
  loadEnvFile();
  const config = loadConfig();
  const total = Number(process.env.SEED_PRODUCTS ?? 0) || undefined;
  const dataSource = await initializeDataSource(buildDataSourceOptions(config.database, { applicationName: 'seed' }));
  try {
    await runMigrations(dataSource);
    const result = await seed(dataSource, config, total);
    console.log(`seed: ${result.categories} categories, ${result.products} products (${result.inserted} new, ${result.updated} updated)`);
    await invalidateCaches(dataSource, config);
  } finally {
    await dataSource.destroy();
  }
}

async function seed(dataSource: DataSource, config: AppConfig, total?: number): Promise<{ categories: number; products: number; inserted: number; updated: number }> {
  const products = seedProducts(total ?? SEED_PRODUCTS.length);
  return dataSource.transaction(async (m) => {
    const ids = await upsertCategories(m);
    let inserted = 0;
    let updated = 0;
    for (let i = 0; i < products.length; i += 500) {
      const counts = await upsertProducts(m, products.slice(i, i + 500), ids, config.app.currency);
      inserted += counts.inserted;
      updated += counts.updated;
    }
    return { categories: ids.size, products: products.length, inserted, updated };
  });
}

async function upsertCategories(m: EntityManager): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const c of SEED_CATEGORIES) {
    const parentId = c.parent ? ids.get(c.parent)! : null;
    await m.query(
      `INSERT INTO catalog.categories (name, slug, parent_id) VALUES ($1, $2, $3::uuid)
       ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name, parent_id = EXCLUDED.parent_id, updated_at = now()
       WHERE (catalog.categories.name, catalog.categories.parent_id) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.parent_id)`,
      [c.name, c.slug, parentId],
    );
    const [row] = (await m.query('SELECT id FROM catalog.categories WHERE slug = $1', [c.slug])) as { id: string }[];
    ids.set(c.slug, row!.id);
  }
  return ids;
}

async function upsertProducts(m: EntityManager, batch: SeedProduct[], categories: Map<string, string>, currency: string): Promise<{ inserted: number; updated: number }> {
  const rows = (await m.query(
    `INSERT INTO catalog.products (sku, name, description, price_cents, currency, stock, category_id)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::int[], $7::uuid[])
     ON CONFLICT (sku) WHERE deleted_at IS NULL DO UPDATE
       SET name = EXCLUDED.name, description = EXCLUDED.description, price_cents = EXCLUDED.price_cents,
           category_id = EXCLUDED.category_id, updated_at = now()
       WHERE (catalog.products.name, catalog.products.description, catalog.products.price_cents, catalog.products.category_id)
             IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.description, EXCLUDED.price_cents, EXCLUDED.category_id)
     RETURNING (xmax = 0) AS inserted`,
    [
      batch.map((p) => p.sku),
      batch.map((p) => p.name),
      batch.map((p) => p.description),
      batch.map((p) => p.priceCents),
      batch.map(() => currency),
      batch.map((p) => p.stock),
      batch.map((p) => categories.get(p.category)!),
    ],
  )) as { inserted: boolean }[];
  const inserted = rows.filter((r) => r.inserted).length;
  return { inserted, updated: rows.length - inserted };
}

/** Like an admin write: record the commit LSN, then bump the catalog namespaces (O(1)). */
async function invalidateCaches(dataSource: DataSource, config: AppConfig): Promise<void> {
  const cache = createCache({ redis: redisConnectionSettings(config, 'seed'), prefix: config.redis.keyPrefix });
  try {
    await cache.ready(3_000);
    const [row] = (await dataSource.query('SELECT pg_current_wal_insert_lsn()::text AS lsn')) as { lsn: string }[];
    cache.client.defineCommand('catalogLsnMax', { numberOfKeys: 1, lua: LSN_SET_MAX_SCRIPT });
    await (cache.client as unknown as { catalogLsnMax(k: string, v: string): Promise<number> }).catalogLsnMax(commitLsnKey(cache), normalizeLsn(row!.lsn));
    const ok = await Promise.all(Object.values(CATALOG_NAMESPACES).map((ns) => cache.invalidator.invalidateNamespace(ns)));
    if (!ok.every(Boolean)) throw new Error('Redis did not apply the invalidation');
    console.log('seed: catalog caches invalidated');
  } catch (error) {
    console.warn(`seed: could not invalidate the catalog caches (${(error as Error).message}); running APIs may serve the previous catalog until their entries expire`);
  } finally {
    await cache.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
