import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A rotated refresh token remembers its successor: the successor's digest (to tell whether it was
 * used since) and the successor itself, sealed with a key derived from the rotated token. Only a
 * client holding the rotated token can open it, so a retry within the grace window gets the same
 * successor back; the table alone (a backup, a read-only leak) still yields no usable token.
 */
export class RefreshTokenSuccessor1732431000000 implements MigrationInterface {
  name = 'RefreshTokenSuccessor1732431000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE identity.refresh_tokens ADD COLUMN successor_hash bytea, ADD COLUMN successor_sealed bytea');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE identity.refresh_tokens DROP COLUMN IF EXISTS successor_sealed, DROP COLUMN IF EXISTS successor_hash');
  }
}
