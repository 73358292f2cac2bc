import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { deleteInBatches } from '@app/database';

export interface StoredAnswer {
  fingerprint: string;
  statusCode: number;
  body: string;
}

/** orders.idempotency_keys: the only code that reads or writes it. */
@Injectable()
export class IdempotencyKeysRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The committed answer stored under a key, if any. */
  async find(userId: string, key: string, manager: EntityManager = this.dataSource.manager): Promise<StoredAnswer | null> {
    const rows = await manager.query<{ fingerprint: string; status_code: number; body: string }[]>(
      'SELECT fingerprint, status_code, body FROM orders.idempotency_keys WHERE user_id = $1 AND key = $2 AND body IS NOT NULL',
      [userId, key],
    );
    return rows[0] ? { fingerprint: rows[0].fingerprint, statusCode: rows[0].status_code, body: rows[0].body } : null;
  }

  /**
   * Claims the key inside the caller's transaction. While another transaction holds an uncommitted
   * claim on it, this waits for that transaction to end: true when the claim is now ours (the other
   * one rolled back, or there was none), false when a committed claim exists (read it with find).
   */
  async claim(userId: string, key: string, fingerprint: string, manager: EntityManager): Promise<boolean> {
    const rows = await manager.query<unknown[]>(
      'INSERT INTO orders.idempotency_keys (user_id, key, fingerprint) VALUES ($1, $2, $3) ON CONFLICT (user_id, key) DO NOTHING RETURNING 1',
      [userId, key, fingerprint],
    );
    return rows.length === 1;
  }

  /** Stores the answer of a claimed key (same transaction as the order). */
  async complete(userId: string, key: string, orderId: string, statusCode: number, body: string, manager: EntityManager): Promise<void> {
    await manager.query('UPDATE orders.idempotency_keys SET order_id = $3, status_code = $4, body = $5 WHERE user_id = $1 AND key = $2', [
      userId,
      key,
      orderId,
      statusCode,
      body,
    ]);
  }

  /** Deletes keys older than the retention, in batches; keys removed. */
  async purgeOlderThan(retentionSeconds: number, batch = 5_000, manager: EntityManager = this.dataSource.manager): Promise<number> {
    return deleteInBatches(
      manager,
      `DELETE FROM orders.idempotency_keys WHERE (user_id, key) IN (
         SELECT user_id, key FROM orders.idempotency_keys WHERE created_at < now() - make_interval(secs => $1) LIMIT $2)`,
      [retentionSeconds],
      batch,
    );
  }
}
