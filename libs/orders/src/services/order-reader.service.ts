import { Injectable } from '@nestjs/common';
import { ForbiddenError, NotFoundError } from '@app/common';
import type { OrderPage, OwnedOrder } from '../orders.types.js';
import { OrdersRepository } from '../repositories/orders.repository.js';

/** Who reads: a customer sees their own orders, an admin every order. */
export interface Viewer {
  userId: string;
  role: 'customer' | 'admin';
}

/** Order reads, on the primary: an order is readable at once after its checkout returned. */
@Injectable()
export class OrderReader {
  constructor(private readonly orders: OrdersRepository) {}

  /** Another user's order is "not found" for a customer. */
  async get(id: string, viewer: Viewer): Promise<OwnedOrder> {
    const order = await this.orders.find(id);
    if (!order || (viewer.role !== 'admin' && order.userId !== viewer.userId)) throw new NotFoundError(`order ${id} not found`);
    return order;
  }

  /** Newest first: a customer's own orders; an admin's view of everyone's, or of `userId`'s. */
  async list(viewer: Viewer, page: number, limit: number, userId?: string): Promise<OrderPage> {
    if (viewer.role !== 'admin' && userId !== undefined && userId !== viewer.userId)
      throw new ForbiddenError('userId: only admins may list other users’ orders');
    const owner = viewer.role === 'admin' ? (userId ?? null) : viewer.userId;
    const { items, total } = await this.orders.page(owner, page, limit);
    return { items, total, page, limit };
  }
}
