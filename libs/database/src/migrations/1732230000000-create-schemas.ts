import type { MigrationInterface, QueryRunner } from 'typeorm';

/** One schema per module: identity, catalog and orders own their tables. */
export class CreateSchemas1732230000000 implements MigrationInterface {
  name = 'CreateSchemas1732230000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE SCHEMA IF NOT EXISTS identity');
    await q.query('CREATE SCHEMA IF NOT EXISTS catalog');
    await q.query('CREATE SCHEMA IF NOT EXISTS orders');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP SCHEMA IF EXISTS orders');
    await q.query('DROP SCHEMA IF EXISTS catalog');
    await q.query('DROP SCHEMA IF EXISTS identity');
  }
}
