import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Identity: users, their sessions (one refresh-token family each) and the refresh tokens (hashes only). */
export class Identity1732231000000 implements MigrationInterface {
  name = 'Identity1732231000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE identity.users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email text NOT NULL CHECK (email = lower(btrim(email)) AND length(email) BETWEEN 3 AND 254),
        password_hash text NOT NULL,
        name text NOT NULL,
        role text NOT NULL DEFAULT 'customer' CHECK (role IN ('customer', 'admin')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query('CREATE UNIQUE INDEX users_email_lower_uq ON identity.users (lower(email))');
    await q.query('CREATE INDEX users_created_at_idx ON identity.users (created_at DESC, id)');

    await q.query(`
      CREATE TABLE identity.sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES identity.users (id) ON DELETE CASCADE,
        user_agent text,
        ip text,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        revoke_reason text,
        expires_at timestamptz NOT NULL
      )`);
    await q.query('CREATE INDEX sessions_user_active_idx ON identity.sessions (user_id, created_at DESC) WHERE revoked_at IS NULL');

    await q.query(`
      CREATE TABLE identity.refresh_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        session_id uuid NOT NULL REFERENCES identity.sessions (id) ON DELETE CASCADE,
        token_hash bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        consumed_at timestamptz
      )`);
    await q.query('CREATE UNIQUE INDEX refresh_tokens_hash_uq ON identity.refresh_tokens (token_hash)');
    await q.query('CREATE INDEX refresh_tokens_session_idx ON identity.refresh_tokens (session_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS identity.refresh_tokens');
    await q.query('DROP TABLE IF EXISTS identity.sessions');
    await q.query('DROP TABLE IF EXISTS identity.users');
  }
}
