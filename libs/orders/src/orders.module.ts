import { Module } from '@nestjs/common';
import { CartModule } from '@app/cart';
import { CatalogModule } from '@app/catalog';
import { IdempotencyKeysRepository } from './repositories/idempotency-keys.repository.js';
import { OrderHistoryRepository } from './repositories/order-history.repository.js';
import { OrdersRepository } from './repositories/orders.repository.js';
import { CheckoutService } from './services/checkout.service.js';
import { IdempotencyRetention } from './services/idempotency-retention.service.js';
import { OrderHistoryService } from './services/order-history.service.js';
import { OrderReader } from './services/order-reader.service.js';
import { OrderStatusService } from './services/order-status.service.js';
import { OrderTransitions } from './services/order-transitions.service.js';
import { PaymentExpiryService } from './services/payment-expiry.service.js';
import { AnswerCache } from './store/answer-cache.store.js';

const SERVICES = [CheckoutService, OrderReader, OrderStatusService, OrderHistoryService, PaymentExpiryService, IdempotencyRetention];

/**
 * Orders: checkout with idempotency keys, reads, the state machine with its hash-chained history,
 * payment expiry. Stock goes through the catalog's InventoryService inside the order transaction;
 * side effects (bestsellers) go through the outbox. Imported by the API and the worker.
 */
@Module({
  imports: [CatalogModule, CartModule],
  providers: [OrdersRepository, OrderHistoryRepository, IdempotencyKeysRepository, AnswerCache, OrderTransitions, ...SERVICES],
  exports: SERVICES,
})
export class OrdersModule {}
