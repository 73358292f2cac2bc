import type { OrderStatus } from './orders.types.js';

/** The only transitions an order may take; everything else is refused. */
const NEXT: Record<OrderStatus, readonly OrderStatus[]> = {
  placed: ['paid', 'cancelled'],
  paid: ['shipped', 'cancelled'],
  shipped: ['delivered'],
  delivered: [],
  cancelled: [],
};

export type TransitionCheck = { ok: true } | { ok: false; reason: string };

/** Whether an order in `from` may move to `to` (a pure function: no I/O, no clock). */
export function checkTransition(from: OrderStatus, to: OrderStatus): TransitionCheck {
  if (NEXT[from].includes(to)) return { ok: true };
  return { ok: false, reason: `status: cannot change from ${from} to ${to}` };
}

/** Statuses an order in `from` may move to. */
export function nextStatuses(from: OrderStatus): readonly OrderStatus[] {
  return NEXT[from];
}

/** Stock was taken by the order and is still held: cancelling gives it back. */
export function holdsStock(status: OrderStatus): boolean {
  return status === 'placed' || status === 'paid';
}
