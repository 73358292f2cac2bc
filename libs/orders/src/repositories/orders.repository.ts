import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { OrderLine, OrderStatus, OwnedOrder } from '../orders.types.js';

interface OrderRow {
  id: string;
  user_id: string;
  status: OrderStatus;
  total_cents: string;
  currency: string;
  created_at: Date;
  items: { productId: string; sku: string; name: string; unitPriceCents: number; quantity: number; lineTotalCents: number }[];
}

/** Lines as JSON in one statement with their order (line order kept). */
const SELECT_ORDER = `
  SELECT o.id, o.user_id, o.status, o.total_cents, o.currency, o.created_at,
         (SELECT json_agg(json_build_object('productId', l.product_id, 'sku', l.sku, 'name', l.name,
                 'unitPriceCents', l.unit_price_cents, 'quantity', l.quantity, 'lineTotalCents', l.line_total_cents) ORDER BY l.line_no)
            FROM orders.order_lines l WHERE l.order_id = o.id) AS items
  FROM orders.orders o`;

const toOrder = (r: OrderRow): OwnedOrder => ({
  id: r.id,
  status: r.status,
  items: (r.items ?? []).map((l) => ({ ...l, lineTotalCents: Number(l.lineTotalCents) })),
  totalCents: Number(r.total_cents),
  currency: r.currency.trim(),
  createdAt: new Date(r.created_at).toISOString(),
  userId: r.user_id,
});

export interface NewOrder {
  id: string;
  userId: string;
  status: OrderStatus;
  lines: OrderLine[];
  totalCents: number;
  currency: string;
  historyHead: string;
  createdAt: string;
}

/** orders.orders and orders.order_lines: the only code that reads or writes them. */
@Injectable()
export class OrdersRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(order: NewOrder, manager: EntityManager): Promise<void> {
    await manager.query(
      `INSERT INTO orders.orders (id, user_id, status, total_cents, currency, history_head, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
      [order.id, order.userId, order.status, order.totalCents, order.currency, order.historyHead, order.createdAt],
    );
    await manager.query(
      `INSERT INTO orders.order_lines (order_id, line_no, product_id, sku, name, unit_price_cents, quantity, line_total_cents)
       SELECT $1, n, p, s, nm, u, q, t FROM unnest($2::int[], $3::uuid[], $4::text[], $5::text[], $6::int[], $7::int[], $8::bigint[]) AS x(n, p, s, nm, u, q, t)`,
      [
        order.id,
        order.lines.map((_, i) => i + 1),
        order.lines.map((l) => l.productId),
        order.lines.map((l) => l.sku),
        order.lines.map((l) => l.name),
        order.lines.map((l) => l.unitPriceCents),
        order.lines.map((l) => l.quantity),
        order.lines.map((l) => l.lineTotalCents),
      ],
    );
  }

  /** One order with its lines, or null (read on the primary unless `manager` says otherwise). */
  async find(id: string, manager: EntityManager = this.dataSource.manager): Promise<OwnedOrder | null> {
    const rows = await manager.query<OrderRow[]>(`${SELECT_ORDER} WHERE o.id = $1`, [id]);
    return rows[0] ? toOrder(rows[0]) : null;
  }

  /** The order row locked for the rest of the transaction: its status and history head. */
  async lock(id: string, manager: EntityManager): Promise<{ userId: string; status: OrderStatus; historyHead: string } | null> {
    const rows = await manager.query<
      {
        user_id: string;
        status: OrderStatus;
        history_head: string;
      }[]
    >('SELECT user_id, status, history_head FROM orders.orders WHERE id = $1 FOR UPDATE', [id]);
    return rows[0] ? { userId: rows[0].user_id, status: rows[0].status, historyHead: rows[0].history_head } : null;
  }

  async setStatus(id: string, status: OrderStatus, historyHead: string, at: string, manager: EntityManager): Promise<void> {
    await manager.query('UPDATE orders.orders SET status = $2, history_head = $3, updated_at = $4 WHERE id = $1', [
      id,
      status,
      historyHead,
      at,
    ]);
  }

  /** Newest first; all users' orders, or one user's. */
  async page(
    userId: string | null,
    page: number,
    limit: number,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<{ items: OwnedOrder[]; total: number }> {
    const where = userId === null ? '' : 'WHERE o.user_id = $3';
    const params: unknown[] = [limit, (page - 1) * limit];
    if (userId !== null) params.push(userId);
    const rows = await manager.query<OrderRow[]>(
      `${SELECT_ORDER} ${where} ORDER BY o.created_at DESC, o.id DESC LIMIT $1 OFFSET $2`,
      params,
    );
    const [count] = await manager.query<{ total: number }[]>(
      `SELECT count(*)::int AS total FROM orders.orders o ${userId === null ? '' : 'WHERE o.user_id = $1'}`,
      userId === null ? [] : [userId],
    );
    return { items: rows.map(toOrder), total: count?.total ?? 0 };
  }

  /** The oldest order still `placed` since before `cutoff`, locked; rows another worker holds are skipped. */
  async lockOldestUnpaidBefore(cutoff: Date, manager: EntityManager): Promise<string | undefined> {
    const rows = await manager.query<{ id: string }[]>(
      `SELECT id FROM orders.orders WHERE status = 'placed' AND created_at < $1 ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
      [cutoff],
    );
    return rows[0]?.id;
  }
}
