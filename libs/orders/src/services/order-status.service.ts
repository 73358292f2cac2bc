import { Injectable } from '@nestjs/common';
import { Transactions } from '@app/database';
import type { OrderStatus, OwnedOrder } from '../orders.types.js';
import { OrdersRepository } from '../repositories/orders.repository.js';
import type { Viewer } from './order-reader.service.js';
import { OrderTransitions } from './order-transitions.service.js';

/** Status changes requested over the API: an admin moves any order, an owner may cancel theirs. */
@Injectable()
export class OrderStatusService {
  constructor(
    private readonly transactions: Transactions,
    private readonly transitions: OrderTransitions,
    private readonly orders: OrdersRepository,
  ) {}

  /** Admin: any transition the state machine allows. */
  changeStatus(orderId: string, to: OrderStatus, admin: Viewer): Promise<OwnedOrder> {
    return this.change(orderId, to, admin, undefined);
  }

  /** Owner or admin: cancels a placed or paid order and gives its stock back. */
  cancel(orderId: string, viewer: Viewer): Promise<OwnedOrder> {
    return this.change(orderId, 'cancelled', viewer, viewer.role === 'admin' ? undefined : viewer.userId);
  }

  private async change(orderId: string, to: OrderStatus, viewer: Viewer, ownerId: string | undefined): Promise<OwnedOrder> {
    return this.transactions.run(async (tx) => {
      await this.transitions.apply(tx, orderId, to, { kind: 'user', userId: viewer.userId, role: viewer.role }, ownerId);
      return (await this.orders.find(orderId, tx.manager))!;
    });
  }
}
