import { ApiProperty } from '@nestjs/swagger';

/** One cart line, priced with the CURRENT catalog price. */
export class CartItemDto {
  @ApiProperty({ format: 'uuid', example: '0b7e3f0e-2f6a-4c61-9a43-7a0f3f1e5d21' })
  productId!: string;

  @ApiProperty({ example: 'Espresso cup set', description: 'Current product name (the name when added, if the product was deleted)' })
  name!: string;

  @ApiProperty({
    type: 'integer',
    example: 2490,
    minimum: 0,
    description: 'Current unit price in minor units (the price when added, if the product was deleted)',
  })
  priceCents!: number;

  @ApiProperty({ type: 'integer', example: 2, minimum: 1, maximum: 100 })
  quantity!: number;

  @ApiProperty({ type: 'integer', example: 4980, minimum: 0, description: 'priceCents × quantity' })
  lineTotalCents!: number;

  @ApiProperty({ example: true, description: 'false when the product was deleted or has fewer than `quantity` units in stock' })
  available!: boolean;
}

/** The caller's cart. Totals cover the available lines (what can be checked out as it stands). */
export class CartDto {
  @ApiProperty({ type: [CartItemDto], description: 'Lines in the order they were added' })
  items!: CartItemDto[];

  @ApiProperty({ type: 'integer', example: 2, minimum: 0, description: 'Units over the available lines' })
  totalQuantity!: number;

  @ApiProperty({ type: 'integer', example: 4980, minimum: 0, description: 'Sum of lineTotalCents over the available lines, minor units' })
  totalCents!: number;

  @ApiProperty({ example: 'EUR', description: 'ISO 4217 store currency' })
  currency!: string;

  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    example: '2026-01-02T08:30:00.000Z',
    description: 'Last change of the cart; null when it has never been written (or was emptied)',
  })
  updatedAt!: string | null;
}

/** Size of the cart (e.g. for a badge): no catalog lookup. */
export class CartCountDto {
  @ApiProperty({ type: 'integer', example: 3, minimum: 0, description: 'Units over all lines' })
  count!: number;

  @ApiProperty({ type: 'integer', example: 2, minimum: 0, maximum: 100, description: 'Distinct products' })
  lines!: number;
}
