import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { deleteInBatches } from './batched-delete.repository.js';

/** The channel the relay LISTENs on; a NOTIFY sent in a transaction is delivered at its commit. */
export const OUTBOX_CHANNEL = 'outbox_events';

export interface OutboxEvent<T = unknown> {
  /** Sequence in the outbox (relay order). */
  id: string;
  eventId: string;
  type: string;
  payload: T;
  createdAt: Date;
}

interface EventRow {
  id: string;
  event_id: string;
  event_type: string;
  payload: unknown;
  created_at: Date;
}

const toEvent = (r: EventRow): OutboxEvent => ({
  id: String(r.id),
  eventId: r.event_id,
  type: r.event_type,
  payload: r.payload,
  createdAt: new Date(r.created_at),
});

/** outbox.events and outbox.inbox: the only code that reads or writes them. */
@Injectable()
export class OutboxRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Appends an event inside the caller's transaction and wakes the relay when it commits. */
  async append(manager: EntityManager, type: string, payload: unknown): Promise<string> {
    const [row] = await manager.query<{ event_id: string }[]>(
      `WITH e AS (INSERT INTO outbox.events (event_type, payload) VALUES ($1, $2::jsonb) RETURNING event_id)
       SELECT e.event_id, pg_notify($3, '') AS notified FROM e`,
      [type, JSON.stringify(payload), OUTBOX_CHANNEL],
    );
    return row.event_id;
  }

  /**
   * Pending events, oldest first, locked for the caller's transaction; rows another relay holds are
   * skipped, so any number of relays share the work.
   */
  async claimPending(manager: EntityManager, limit: number): Promise<OutboxEvent[]> {
    const rows = await manager.query<EventRow[]>(
      `SELECT id, event_id, event_type, payload, created_at FROM outbox.events
        WHERE relayed_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
    return rows.map(toEvent);
  }

  async markRelayed(manager: EntityManager, ids: readonly string[]): Promise<void> {
    if (ids.length) await manager.query('UPDATE outbox.events SET relayed_at = now() WHERE id = ANY($1::bigint[])', [ids]);
  }

  /** Pending rows and the age of the oldest, in seconds. */
  async pendingStats(manager: EntityManager = this.dataSource.manager): Promise<{ pending: number; oldestPendingSeconds: number }> {
    const [row] = await manager.query<{ pending: number; oldest: number }[]>(
      `SELECT count(*)::int AS pending, COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float AS oldest
         FROM outbox.events WHERE relayed_at IS NULL`,
    );
    return { pending: row?.pending ?? 0, oldestPendingSeconds: Math.max(0, Math.floor(row?.oldest ?? 0)) };
  }

  /**
   * Records that `handler` applied `eventId`, inside the transaction of its effect. False when it
   * was applied before (the caller then skips the effect; its transaction changes nothing).
   */
  async recordApplied(manager: EntityManager, handler: string, eventId: string): Promise<boolean> {
    const rows = await manager.query<unknown[]>(
      'INSERT INTO outbox.inbox (handler, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1',
      [handler, eventId],
    );
    return rows.length === 1;
  }

  /** Deletes relayed events and inbox rows older than the retention, in batches; rows removed. */
  async purge(retentionSeconds: number, batch = 5_000, manager: EntityManager = this.dataSource.manager): Promise<number> {
    const events = await deleteInBatches(
      manager,
      'DELETE FROM outbox.events WHERE id IN (SELECT id FROM outbox.events WHERE relayed_at < now() - make_interval(secs => $1) LIMIT $2)',
      [retentionSeconds],
      batch,
    );
    const inbox = await deleteInBatches(
      manager,
      'DELETE FROM outbox.inbox WHERE (handler, event_id) IN (SELECT handler, event_id FROM outbox.inbox WHERE applied_at < now() - make_interval(secs => $1) LIMIT $2)',
      [retentionSeconds],
      batch,
    );
    return events + inbox;
  }
}
