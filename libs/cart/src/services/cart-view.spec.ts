import { buildCartView, type PricedProduct } from './cart-view.js';
import type { StoredCart } from '../store/cart.store.js';

const P1 = '11111111-1111-4111-8111-111111111111';
const P2 = '22222222-2222-4222-8222-222222222222';
const P3 = '33333333-3333-4333-8333-333333333333';

function stored(lines: [string, number, string][], updatedAt: string | null = '2026-01-01T00:00:00.000Z'): StoredCart {
  return {
    quantities: new Map(lines.map(([id, q]) => [id, q])),
    snapshots: new Map(lines.map(([id, , addedAt]) => [id, { name: `old ${id.slice(0, 1)}`, priceCents: 50, addedAt }])),
    updatedAt,
  };
}

describe('buildCartView', () => {
  it('prices lines with the current product, in the order they were added', () => {
    const products = new Map<string, PricedProduct>([
      [P1, { name: 'One', priceCents: 1000, stock: 5 }],
      [P2, { name: 'Two', priceCents: 250, stock: 100 }],
    ]);
    const view = buildCartView(
      stored([
        [P2, 4, '2026-01-01T00:00:02.000Z'],
        [P1, 2, '2026-01-01T00:00:01.000Z'],
      ]),
      products,
      'EUR',
    );
    expect(view).toEqual({
      items: [
        { productId: P1, name: 'One', priceCents: 1000, quantity: 2, lineTotalCents: 2000, available: true },
        { productId: P2, name: 'Two', priceCents: 250, quantity: 4, lineTotalCents: 1000, available: true },
      ],
      totalQuantity: 6,
      totalCents: 3000,
      currency: 'EUR',
      updatedAt: '2026-01-01T00:00:00.000Z',
    });
  });

  it('marks deleted products and short stock unavailable and leaves them out of the totals', () => {
    const products = new Map<string, PricedProduct>([
      [P1, { name: 'One', priceCents: 1000, stock: 1 }],
      [P2, { name: 'Two', priceCents: 250, stock: 3 }],
    ]);
    const view = buildCartView(
      stored([
        [P1, 2, 'a'],
        [P2, 3, 'b'],
        [P3, 1, 'c'],
      ]),
      products,
      'EUR',
    );
    expect(view.items.map((i) => [i.productId, i.available, i.lineTotalCents])).toEqual([
      [P1, false, 2000],
      [P2, true, 750],
      [P3, false, 50],
    ]);
    expect(view.items[2].name).toBe('old 3');
    expect(view).toMatchObject({ totalQuantity: 3, totalCents: 750 });
  });

  it('an empty cart', () => {
    expect(buildCartView(stored([], null), new Map(), 'USD')).toEqual({
      items: [],
      totalQuantity: 0,
      totalCents: 0,
      currency: 'USD',
      updatedAt: null,
    });
  });
});
