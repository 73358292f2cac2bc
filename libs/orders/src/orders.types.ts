export const ORDER_STATUSES = ['placed', 'paid', 'shipped', 'delivered', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** One order line: the product as it was when its stock was taken. */
export interface OrderLine {
  productId: string;
  sku: string;
  name: string;
  unitPriceCents: number;
  quantity: number;
  lineTotalCents: number;
}

/** An order as every response shows it (property order is the response order). */
export interface Order {
  id: string;
  status: OrderStatus;
  items: OrderLine[];
  totalCents: number;
  currency: string;
  /** ISO 8601 UTC. */
  createdAt: string;
}

/** An order with its owner, for reads and the admin list. */
export interface OwnedOrder extends Order {
  userId: string;
}

export interface OrderPage {
  items: OwnedOrder[];
  total: number;
  page: number;
  limit: number;
}

/** What to buy: explicit lines, or (absent) the caller's cart. */
export interface CheckoutRequest {
  items?: { productId: string; quantity: number }[];
}

/** The answer of a checkout, exactly as sent (and replayed for the same idempotency key). */
export interface CheckoutAnswer {
  statusCode: number;
  /** The serialized body, byte for byte. */
  body: string;
  /** True when this answer was stored by an earlier request with the same key. */
  replayed: boolean;
}

/** Who changes an order: a user (by id) or the system (payment expiry). */
export type Actor = { kind: 'user'; userId: string; role: 'customer' | 'admin' } | { kind: 'system' };

export interface HistoryEntry {
  at: string;
  from: OrderStatus | null;
  to: OrderStatus;
  actor: string;
}

export interface HistoryVerification {
  valid: boolean;
  entries: number;
  /** Index of the first entry that is changed, missing or out of place; null when valid. */
  brokenAt: number | null;
}

/** Events written to the outbox with the order change (relayed to the worker). */
export interface OrderPlacedEvent {
  orderId: string;
  userId: string;
  items: { productId: string; quantity: number }[];
}

export interface OrderCancelledEvent extends OrderPlacedEvent {
  /** `system` when the payment timed out. */
  actor: string;
}

export const ORDER_EVENTS = { placed: 'order.placed', cancelled: 'order.cancelled', statusChanged: 'order.status-changed' } as const;
