import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { Transactions } from '@app/database';
import { OrdersRepository } from '../repositories/orders.repository.js';
import { OrderTransitions } from './order-transitions.service.js';

/**
 * Cancels orders still unpaid (`placed`) after ORDER_PAYMENT_TIMEOUT_MINUTES, as actor `system`,
 * giving their stock back. Each order is locked with SKIP LOCKED and its status re-checked under the
 * lock, so any number of workers running it cancel each order exactly once.
 *
 * One order per transaction: an order gives its stock back in product-id order, so two such
 * transactions (or one and a checkout, which takes stock in the same order) never wait on each
 * other's product rows in opposite orders. Several orders in one transaction would lock A then B
 * for one order and B then A for the next, and deadlock against another worker doing the same.
 */
@Injectable()
export class PaymentExpiryService {
  private readonly timeoutMinutes: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly transactions: Transactions,
    private readonly orders: OrdersRepository,
    private readonly transitions: OrderTransitions,
  ) {
    this.timeoutMinutes = config.orders.paymentTimeoutMinutes;
  }

  get enabled(): boolean {
    return this.timeoutMinutes > 0;
  }

  /** Cancels every expired order (in batches); how many were cancelled. `now` is for callers that pin the clock. */
  async expireUnpaid(now: Date = new Date()): Promise<number> {
    if (!this.enabled) return 0;
    const cutoff = new Date(now.getTime() - this.timeoutMinutes * 60_000);
    let total = 0;
    for (;;) {
      const cancelled = await this.transactions.run(async (tx) => {
        const id = await this.orders.lockOldestUnpaidBefore(cutoff, tx.manager);
        if (id === undefined) return false;
        await this.transitions.apply(tx, id, 'cancelled', { kind: 'system' });
        return true;
      });
      if (!cancelled) return total;
      total++;
    }
  }
}
