import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Catalog schema: categories and products.
 *
 * - Products are soft-deleted (`deleted_at`) so past orders keep their product; a SKU is unique
 *   among live products only, and a live product always has a category (CHECK), while a deleted
 *   one may lose it when its category is deleted (FK ON DELETE SET NULL).
 * - Stock and price can never be negative: the database enforces it, not the application.
 * - Every index is partial on live rows and ends with `id`, the stable tiebreaker of every sort,
 *   so `ORDER BY <col>, id LIMIT n` walks one index.
 * - `q` (name/description text) uses pg_trgm: a GIN trigram index on `name || ' ' || description`
 *   serves `ILIKE '%word%'` for each word of the query.
 */
export class Catalog1732300000000 implements MigrationInterface {
  name = 'Catalog1732300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public');
    await q.query(`
      CREATE TABLE catalog.categories (
        id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name        varchar(120) NOT NULL,
        slug        varchar(120) NOT NULL,
        parent_id   uuid NULL REFERENCES catalog.categories (id) ON DELETE RESTRICT,
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT categories_slug_key UNIQUE (slug),
        CONSTRAINT categories_not_own_parent CHECK (parent_id IS NULL OR parent_id <> id)
      )`);
    await q.query('CREATE INDEX categories_parent_idx ON catalog.categories (parent_id) WHERE parent_id IS NOT NULL');

    await q.query(`
      CREATE TABLE catalog.products (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        sku          varchar(64) NOT NULL,
        name         varchar(200) NOT NULL,
        description  text NOT NULL DEFAULT '',
        price_cents  integer NOT NULL,
        currency     char(3) NOT NULL,
        stock        integer NOT NULL DEFAULT 0,
        category_id  uuid NULL REFERENCES catalog.categories (id) ON DELETE SET NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        updated_at   timestamptz NOT NULL DEFAULT now(),
        deleted_at   timestamptz NULL,
        CONSTRAINT products_price_cents_check CHECK (price_cents >= 0),
        CONSTRAINT products_stock_check CHECK (stock >= 0),
        CONSTRAINT products_live_has_category CHECK (deleted_at IS NOT NULL OR category_id IS NOT NULL)
      )`);
    await q.query('CREATE UNIQUE INDEX products_sku_live_key ON catalog.products (sku) WHERE deleted_at IS NULL');
    // sorts (each with the id tiebreaker) and filters
    await q.query('CREATE INDEX products_created_idx ON catalog.products (created_at, id) WHERE deleted_at IS NULL');
    await q.query('CREATE INDEX products_price_idx ON catalog.products (price_cents, id) WHERE deleted_at IS NULL');
    await q.query('CREATE INDEX products_name_idx ON catalog.products (name, id) WHERE deleted_at IS NULL');
    await q.query('CREATE INDEX products_category_idx ON catalog.products (category_id, created_at, id) WHERE deleted_at IS NULL');
    await q.query('CREATE INDEX products_category_price_idx ON catalog.products (category_id, price_cents, id) WHERE deleted_at IS NULL');
    await q.query('CREATE INDEX products_in_stock_idx ON catalog.products (created_at, id) WHERE deleted_at IS NULL AND stock > 0');
    await q.query(
      `CREATE INDEX products_search_trgm_idx ON catalog.products USING gin ((name || ' ' || description) public.gin_trgm_ops) WHERE deleted_at IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS catalog.products');
    await q.query('DROP TABLE IF EXISTS catalog.categories');
  }
}
