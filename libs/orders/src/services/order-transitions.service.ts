import { Injectable } from '@nestjs/common';
import { ConflictError, NotFoundError } from '@app/common';
import { InventoryService } from '@app/catalog';
import { OutboxRepository, type Transaction } from '@app/database';
import { entryHash, GENESIS, type ChainedEntry } from '../history-chain.js';
import { checkTransition, holdsStock } from '../order-state-machine.js';
import { ORDER_EVENTS, type Actor, type OrderCancelledEvent, type OrderStatus } from '../orders.types.js';
import { OrderHistoryRepository } from '../repositories/order-history.repository.js';
import { OrdersRepository } from '../repositories/orders.repository.js';

/** How an actor is written into the history: `system`, or `<role>:<user id>`. */
export function actorName(actor: Actor): string {
  return actor.kind === 'system' ? 'system' : `${actor.role}:${actor.userId}`;
}

/**
 * Every status change of an order, inside the caller's transaction: the order row is locked, the
 * state machine decides, exactly one hash-chained history entry is appended, the order's status
 * and chain head move, a cancellation gives the held stock back, and the change is written to the
 * outbox. Nothing of it is visible unless the whole transaction commits.
 */
@Injectable()
export class OrderTransitions {
  constructor(
    private readonly orders: OrdersRepository,
    private readonly history: OrderHistoryRepository,
    private readonly inventory: InventoryService,
    private readonly outbox: OutboxRepository,
  ) {}

  /** The first entry of a new order (null → placed): its hash is the head the order row starts with. */
  firstEntry(orderId: string, at: string, actor: Actor): ChainedEntry {
    const entry = { orderId, seq: 1, at, from: null, to: 'placed', actor: actorName(actor) };
    return { ...entry, prevHash: GENESIS, hash: entryHash(GENESIS, entry) };
  }

  /** Appends the first entry, once the order row exists. */
  async recordFirst(tx: Transaction, entry: ChainedEntry): Promise<void> {
    await this.history.append(entry, tx.manager);
  }

  /**
   * Moves the order to `to`. `ownerId`: only that user's order is found (others are "not found",
   * never "forbidden", so ids of other users' orders are not confirmed). Refused transitions are
   * conflicts naming both statuses.
   */
  async apply(tx: Transaction, orderId: string, to: OrderStatus, actor: Actor, ownerId?: string): Promise<void> {
    const order = await this.orders.lock(orderId, tx.manager);
    if (!order || (ownerId !== undefined && order.userId !== ownerId)) throw new NotFoundError(`order ${orderId} not found`);
    const check = checkTransition(order.status, to);
    if (!check.ok) throw new ConflictError(check.reason);
    const at = new Date().toISOString();
    const entry = {
      orderId,
      seq: (await this.history.count(orderId, tx.manager)) + 1,
      at,
      from: order.status,
      to,
      actor: actorName(actor),
    };
    const hash = entryHash(order.historyHead, entry);
    await this.history.append({ ...entry, prevHash: order.historyHead, hash }, tx.manager);
    await this.orders.setStatus(orderId, to, hash, at, tx.manager);
    if (to === 'cancelled' && holdsStock(order.status)) {
      const lines = (await this.orders.find(orderId, tx.manager))!.items.map((l) => ({ productId: l.productId, quantity: l.quantity }));
      await this.inventory.releaseStock(tx, lines);
      const event: OrderCancelledEvent = { orderId, userId: order.userId, items: lines, actor: entry.actor };
      await this.outbox.append(tx.manager, ORDER_EVENTS.cancelled, event);
    } else {
      await this.outbox.append(tx.manager, ORDER_EVENTS.statusChanged, { orderId, userId: order.userId, from: order.status, to });
    }
  }
}
