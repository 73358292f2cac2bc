// What other modules and the apps may use from orders.
export { OrdersModule } from './orders.module.js';
export { CheckoutService, fingerprintOf } from './services/checkout.service.js';
export { OrderReader, type Viewer } from './services/order-reader.service.js';
export { OrderStatusService } from './services/order-status.service.js';
export { OrderHistoryService } from './services/order-history.service.js';
export { PaymentExpiryService } from './services/payment-expiry.service.js';
export { checkTransition, holdsStock, nextStatuses } from './order-state-machine.js';
export { ORDER_EVENTS, ORDER_STATUSES } from './orders.types.js';
export type * from './orders.types.js';
export { IdempotencyRetention, MIN_KEY_RETENTION_SECONDS } from './services/idempotency-retention.service.js';
