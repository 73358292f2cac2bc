import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Transactional outbox and inbox, shared by the modules that publish events (schema `outbox`).
 *
 * - `outbox.events`: written in the same transaction as the business change; the relay claims
 *   pending rows (`relayed_at IS NULL`) with FOR UPDATE SKIP LOCKED, in id order, and marks them.
 * - `outbox.inbox`: one row per (handler, event id) whose effect was applied, written in the same
 *   transaction as that effect, so a redelivered event changes nothing.
 */
export class Outbox1732400000000 implements MigrationInterface {
  name = 'Outbox1732400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE SCHEMA IF NOT EXISTS outbox');
    await q.query(`
      CREATE TABLE outbox.events (
        id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        event_id    uuid NOT NULL DEFAULT gen_random_uuid(),
        event_type  text NOT NULL,
        payload     jsonb NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        relayed_at  timestamptz NULL,
        CONSTRAINT events_event_id_key UNIQUE (event_id)
      )`);
    await q.query('CREATE INDEX events_pending_idx ON outbox.events (id) WHERE relayed_at IS NULL');
    await q.query('CREATE INDEX events_relayed_idx ON outbox.events (relayed_at) WHERE relayed_at IS NOT NULL');
    await q.query(`
      CREATE TABLE outbox.inbox (
        handler     text NOT NULL,
        event_id    text NOT NULL,
        applied_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (handler, event_id)
      )`);
    await q.query('CREATE INDEX inbox_applied_idx ON outbox.inbox (applied_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS outbox.inbox');
    await q.query('DROP TABLE IF EXISTS outbox.events');
    await q.query('DROP SCHEMA IF EXISTS outbox');
  }
}
