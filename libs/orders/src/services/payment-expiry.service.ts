import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { Transactions } from '@app/database';
import { OrdersRepository } from '../repositories/orders.repository.js';
import { OrderTransitions } from './order-transitions.service.js';

const BATCH = 100;

/**
 * Cancels orders still unpaid (`placed`) after ORDER_PAYMENT_TIMEOUT_MINUTES, as actor `system`,
 * giving their stock back. Each batch locks its orders with SKIP LOCKED and re-checks the status
 * under the lock, so any number of workers running it cancel each order exactly once.
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
        const ids = await this.orders.lockUnpaidBefore(cutoff, BATCH, tx.manager);
        for (const id of ids) await this.transitions.apply(tx, id, 'cancelled', { kind: 'system' });
        return ids.length;
      });
      total += cancelled;
      if (cancelled < BATCH) return total;
    }
  }
}
