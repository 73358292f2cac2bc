/** A product-like JSON value of about 1 KB (the size the cache mostly holds). */
export function payload(id: number): Record<string, unknown> {
  return {
    id,
    sku: `SKU-${String(id).padStart(6, '0')}`,
    name: `Product ${id}`,
    price: { amount: 1999 + id, currency: 'EUR' },
    stock: id % 17,
    tags: ['bench', 'cache', `group-${id % 10}`],
    updatedAt: '2026-01-01T00:00:00.000Z',
    description: 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(14).slice(0, 760),
  };
}
