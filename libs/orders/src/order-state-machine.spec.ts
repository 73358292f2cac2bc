import { checkTransition, holdsStock, nextStatuses } from './order-state-machine.js';
import { ORDER_STATUSES, type OrderStatus } from './orders.types.js';

const LEGAL: readonly [OrderStatus, OrderStatus][] = [
  ['placed', 'paid'],
  ['paid', 'shipped'],
  ['shipped', 'delivered'],
  ['placed', 'cancelled'],
  ['paid', 'cancelled'],
];
const isLegal = (from: OrderStatus, to: OrderStatus): boolean => LEGAL.some(([f, t]) => f === from && t === to);
const ALL_PAIRS: [OrderStatus, OrderStatus][] = ORDER_STATUSES.flatMap((from) =>
  ORDER_STATUSES.map((to): [OrderStatus, OrderStatus] => [from, to]),
);
const ILLEGAL = ALL_PAIRS.filter(([from, to]) => !isLegal(from, to));

describe('order state machine', () => {
  it('covers all 25 pairs: 5 legal, 20 illegal', () => {
    expect(ALL_PAIRS).toHaveLength(25);
    expect(ILLEGAL).toHaveLength(20);
  });

  it.each(LEGAL)('%s → %s is allowed', (from, to) => {
    expect(checkTransition(from, to)).toEqual({ ok: true });
  });

  it.each(ILLEGAL)('%s → %s is refused with a reason naming both statuses', (from, to) => {
    const check = checkTransition(from, to);
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(typeof check.reason).toBe('string');
    expect(check.reason).toContain(from);
    expect(check.reason).toContain(to);
    // the statuses appear in order: from before to
    expect(check.reason).toMatch(new RegExp(`\\b${from}\\b.*\\b${to}\\b`));
  });

  it('every same-status "transition" is refused', () => {
    for (const s of ORDER_STATUSES) expect(checkTransition(s, s).ok).toBe(false);
  });

  it('nextStatuses lists exactly the legal targets', () => {
    for (const from of ORDER_STATUSES) {
      expect([...nextStatuses(from)].sort()).toEqual(
        LEGAL.filter(([f]) => f === from)
          .map(([, t]) => t)
          .sort(),
      );
    }
  });

  it('delivered and cancelled are terminal', () => {
    expect(nextStatuses('delivered')).toEqual([]);
    expect(nextStatuses('cancelled')).toEqual([]);
  });

  it('holdsStock: only placed and paid hold stock', () => {
    expect(Object.fromEntries(ORDER_STATUSES.map((s) => [s, holdsStock(s)]))).toEqual({
      placed: true,
      paid: true,
      shipped: false,
      delivered: false,
      cancelled: false,
    });
  });

  it('a cancellation is legal exactly from the statuses that hold stock', () => {
    for (const s of ORDER_STATUSES) expect(checkTransition(s, 'cancelled').ok).toBe(holdsStock(s));
  });
});
