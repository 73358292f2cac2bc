import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { CatalogImportService } from '@app/catalog';
import { ConfigError, loadConfig, loadEnvFile } from '@app/common';
import { runMigrations } from '@app/database';
import { CliModule } from './cli.module.js';
import { SEED_CATEGORIES, SEED_PRODUCTS, seedProducts } from './seed-data.js';

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
  const total = Number(process.env.SEED_PRODUCTS ?? 0) || SEED_PRODUCTS.length;
  const app = await NestFactory.createApplicationContext(CliModule.forRoot(config, 'seed'), {
    logger: ['error', 'warn'],
    abortOnError: false,
  });
  try {
    await runMigrations(app.get<DataSource>(getDataSourceToken()));
    const result = await app.get(CatalogImportService).import(SEED_CATEGORIES, seedProducts(total));
    console.log(`seed: ${result.categories} categories, ${result.products} products (${result.inserted} new, ${result.updated} updated)`);
    if (result.cachesInvalidated) console.log('seed: catalog caches invalidated');
    else
      console.warn('seed: could not invalidate the catalog caches; running APIs may serve the previous catalog until their entries expire');
  } finally {
    await app.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error instanceof Error ? error.message : error);
  process.exit(1);
});
