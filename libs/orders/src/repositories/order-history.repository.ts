import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { ChainedEntry } from '../history-chain.js';

interface HistoryRow {
  order_id: string;
  seq: number;
  at: Date;
  from_status: string | null;
  to_status: string;
  actor: string;
  prev_hash: string;
  hash: string;
}

/** orders.history (append-only): the only code that reads or writes it. */
@Injectable()
export class OrderHistoryRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async append(entry: ChainedEntry, manager: EntityManager): Promise<void> {
    await manager.query(
      `INSERT INTO orders.history (order_id, seq, at, from_status, to_status, actor, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [entry.orderId, entry.seq, entry.at, entry.from, entry.to, entry.actor, entry.prevHash, entry.hash],
    );
  }

  /** The number of entries of an order (the next entry's seq is this + 1). */
  async count(orderId: string, manager: EntityManager): Promise<number> {
    const [row] = await manager.query<{ n: number }[]>('SELECT count(*)::int AS n FROM orders.history WHERE order_id = $1', [orderId]);
    return row?.n ?? 0;
  }

  /** Every entry of an order, in seq order. */
  async list(orderId: string, manager: EntityManager = this.dataSource.manager): Promise<ChainedEntry[]> {
    const rows = await manager.query<HistoryRow[]>(
      'SELECT order_id, seq, at, from_status, to_status, actor, prev_hash, hash FROM orders.history WHERE order_id = $1 ORDER BY seq',
      [orderId],
    );
    return rows.map((r) => ({
      orderId: r.order_id,
      seq: r.seq,
      at: new Date(r.at).toISOString(),
      from: r.from_status,
      to: r.to_status,
      actor: r.actor,
      prevHash: r.prev_hash,
      hash: r.hash,
    }));
  }

  /** The order's recorded chain head. */
  async head(orderId: string, manager: EntityManager = this.dataSource.manager): Promise<string | null> {
    const rows = await manager.query<{ history_head: string }[]>('SELECT history_head FROM orders.orders WHERE id = $1', [orderId]);
    return rows[0]?.history_head ?? null;
  }
}
