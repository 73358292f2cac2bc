import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Orders schema.
 *
 * - `orders`: one row per order; `history_head` is the hash of its newest history entry, so the
 *   removal of the last entry is found too. Money is integer minor units.
 * - `order_lines`: a snapshot of each product (sku, name, unit price) taken with its stock, so an
 *   order reads the same after the product changed or was deleted. No foreign key to the catalog:
 *   the modules share no tables.
 * - `idempotency_keys`: one row per (user, key), claimed inside the order transaction; it holds the
 *   request fingerprint and the exact answer (status and body) that is replayed.
 * - `history`: append-only (a trigger refuses UPDATE and DELETE); each entry stores the SHA-256 of
 *   the previous entry's hash and its own content.
 */
export class Orders1732410000000 implements MigrationInterface {
  name = 'Orders1732410000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE orders.orders (
        id            uuid PRIMARY KEY,
        user_id       uuid NOT NULL,
        status        text NOT NULL,
        total_cents   bigint NOT NULL,
        currency      char(3) NOT NULL,
        history_head  text NOT NULL,
        created_at    timestamptz NOT NULL,
        updated_at    timestamptz NOT NULL,
        CONSTRAINT orders_status_check CHECK (status IN ('placed', 'paid', 'shipped', 'delivered', 'cancelled')),
        CONSTRAINT orders_total_check CHECK (total_cents >= 0)
      )`);
    await q.query('CREATE INDEX orders_user_created_idx ON orders.orders (user_id, created_at DESC, id DESC)');
    await q.query('CREATE INDEX orders_created_idx ON orders.orders (created_at DESC, id DESC)');
    await q.query(`CREATE INDEX orders_unpaid_idx ON orders.orders (created_at) WHERE status = 'placed'`);

    await q.query(`
      CREATE TABLE orders.order_lines (
        order_id          uuid NOT NULL REFERENCES orders.orders (id) ON DELETE CASCADE,
        line_no           smallint NOT NULL,
        product_id        uuid NOT NULL,
        sku               varchar(64) NOT NULL,
        name              varchar(200) NOT NULL,
        unit_price_cents  integer NOT NULL,
        quantity          integer NOT NULL,
        line_total_cents  bigint NOT NULL,
        PRIMARY KEY (order_id, line_no),
        CONSTRAINT order_lines_quantity_check CHECK (quantity > 0),
        CONSTRAINT order_lines_price_check CHECK (unit_price_cents >= 0)
      )`);

    await q.query(`
      CREATE TABLE orders.idempotency_keys (
        user_id      uuid NOT NULL,
        key          varchar(255) NOT NULL,
        fingerprint  text NOT NULL,
        order_id     uuid NULL REFERENCES orders.orders (id) ON DELETE CASCADE,
        status_code  smallint NULL,
        body         text NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, key)
      )`);
    await q.query('CREATE INDEX idempotency_keys_created_idx ON orders.idempotency_keys (created_at)');

    await q.query(`
      CREATE TABLE orders.history (
        order_id     uuid NOT NULL REFERENCES orders.orders (id) ON DELETE CASCADE,
        seq          integer NOT NULL,
        at           timestamptz NOT NULL,
        from_status  text NULL,
        to_status    text NOT NULL,
        actor        text NOT NULL,
        prev_hash    text NOT NULL,
        hash         text NOT NULL,
        PRIMARY KEY (order_id, seq)
      )`);
    await q.query(`
      CREATE FUNCTION orders.history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'orders.history is append-only' USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE ON orders.history
      FOR EACH ROW EXECUTE FUNCTION orders.history_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS orders.history');
    await q.query('DROP FUNCTION IF EXISTS orders.history_append_only()');
    await q.query('DROP TABLE IF EXISTS orders.idempotency_keys');
    await q.query('DROP TABLE IF EXISTS orders.order_lines');
    await q.query('DROP TABLE IF EXISTS orders.orders');
  }
}
