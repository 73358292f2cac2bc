import { Injectable } from '@nestjs/common';
import { NotFoundError } from '@app/common';
import { verifyChain } from '../history-chain.js';
import type { HistoryEntry, HistoryVerification, OrderStatus } from '../orders.types.js';
import { OrderHistoryRepository } from '../repositories/order-history.repository.js';
import { OrderReader, type Viewer } from './order-reader.service.js';

/** The audit trail of an order, and the check that it was not changed behind the API's back. */
@Injectable()
export class OrderHistoryService {
  constructor(
    private readonly history: OrderHistoryRepository,
    private readonly reader: OrderReader,
  ) {}

  /** Oldest first; for the owner or an admin. */
  async list(orderId: string, viewer: Viewer): Promise<HistoryEntry[]> {
    await this.reader.get(orderId, viewer);
    return (await this.history.list(orderId)).map((e) => ({
      at: e.at,
      from: e.from as OrderStatus | null,
      to: e.to as OrderStatus,
      actor: e.actor,
    }));
  }

  async verify(orderId: string): Promise<HistoryVerification> {
    const head = await this.history.head(orderId);
    if (head === null) throw new NotFoundError(`order ${orderId} not found`);
    return verifyChain(await this.history.list(orderId), head);
  }
}
