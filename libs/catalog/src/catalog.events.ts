/** Outbox events the catalog writes in the transaction of the change. */
export const CATALOG_EVENTS = { stockChanged: 'catalog.stock-changed', productDeleted: 'catalog.product-deleted' } as const;

export interface StockChangedEvent {
  productIds: string[];
}

export interface ProductDeletedEvent {
  productId: string;
}
