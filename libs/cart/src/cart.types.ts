/** One cart line as the caller sees it, priced with the current catalog. */
export interface CartLineView {
  productId: string;
  name: string;
  priceCents: number;
  quantity: number;
  lineTotalCents: number;
  /** False when the product is gone or has less stock than the line holds (not in the totals). */
  available: boolean;
}

export interface CartView {
  items: CartLineView[];
  totalQuantity: number;
  totalCents: number;
  currency: string;
  updatedAt: string | null;
}

export interface CartCount {
  count: number;
  lines: number;
}
