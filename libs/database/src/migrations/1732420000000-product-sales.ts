import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Units sold per product (catalog), the durable source of the bestseller ranking: the ranking in
 * Redis is published from these rows (each with its `version`, so an older total never overwrites
 * a newer one) and can be rebuilt from them. `units` may dip below zero while a cancellation is
 * applied before its placement (events of different orders are not ordered); it is exact once both
 * are applied.
 */
export class ProductSales1732420000000 implements MigrationInterface {
  name = 'ProductSales1732420000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE catalog.product_sales (
        product_id  uuid PRIMARY KEY,
        units       bigint NOT NULL DEFAULT 0,
        version     bigint NOT NULL DEFAULT 0,
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query('CREATE INDEX product_sales_units_idx ON catalog.product_sales (units DESC, product_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS catalog.product_sales');
  }
}
