import type { CartLineView, CartView } from '../cart.types.js';
import type { StoredCart } from '../store/cart.store.js';

/** What the view needs of a live product. */
export interface PricedProduct {
  name: string;
  priceCents: number;
  stock: number;
}

/**
 * The contract's cart body from the stored lines and the CURRENT products (absent = deleted or
 * unknown). Lines keep the order they were added in; totals cover the available lines only.
 */
export function buildCartView(stored: StoredCart, products: ReadonlyMap<string, PricedProduct>, currency: string): CartView {
  const ids = [...stored.quantities.keys()].sort((a, b) => {
    const x = stored.snapshots.get(a)?.addedAt ?? '';
    const y = stored.snapshots.get(b)?.addedAt ?? '';
    return x < y ? -1 : x > y ? 1 : a < b ? -1 : a > b ? 1 : 0;
  });
  const items: CartLineView[] = [];
  let totalQuantity = 0;
  let totalCents = 0;
  for (const productId of ids) {
    const quantity = stored.quantities.get(productId)!;
    const product = products.get(productId);
    const snapshot = stored.snapshots.get(productId);
    const name = product?.name ?? snapshot?.name ?? 'Unavailable product';
    const priceCents = product?.priceCents ?? snapshot?.priceCents ?? 0;
    const available = product !== undefined && product.stock >= quantity;
    const lineTotalCents = priceCents * quantity;
    items.push({ productId, name, priceCents, quantity, lineTotalCents, available });
    if (available) {
      totalQuantity += quantity;
      totalCents += lineTotalCents;
    }
  }
  return { items, totalQuantity, totalCents, currency, updatedAt: stored.updatedAt };
}
