import { ApiProperty } from '@nestjs/swagger';
import { INT4_MAX, LIMIT_MAX, PAGE_MAX } from '@app/catalog';

/** A product's category as embedded in product responses. */
export class CategoryRefDto {
  @ApiProperty({ format: 'uuid', example: '6f1d2c3b-4a59-4e8f-9a7b-0c1d2e3f4a5b' })
  id!: string;

  @ApiProperty({ example: 'Kitchen' })
  name!: string;

  @ApiProperty({ example: 'kitchen' })
  slug!: string;
}

/** A product as every catalog read returns it. Money is in minor units of `currency`. */
export class ProductDto {
  @ApiProperty({ format: 'uuid', example: '0b7e3f0e-2f6a-4c61-9a43-7a0f3f1e5d21' })
  id!: string;

  @ApiProperty({ example: 'KIT-ESP-001', description: 'Stock keeping unit, unique among live products' })
  sku!: string;

  @ApiProperty({ example: 'Espresso cup set' })
  name!: string;

  @ApiProperty({ example: 'Four double-walled glass cups, 80 ml each.' })
  description!: string;

  @ApiProperty({
    type: 'integer',
    example: 2490,
    minimum: 0,
    maximum: INT4_MAX,
    description: 'Price in minor units (cents); never a float',
  })
  priceCents!: number;

  @ApiProperty({ example: 'EUR', description: 'ISO 4217 store currency' })
  currency!: string;

  @ApiProperty({
    type: 'integer',
    example: 12,
    minimum: 0,
    maximum: INT4_MAX,
    description: 'Units in stock; a write sets at most 1,000,000,000, inventory deltas and cancelled orders may add beyond that',
  })
  stock!: number;

  @ApiProperty({ type: CategoryRefDto })
  category!: CategoryRefDto;

  @ApiProperty({ format: 'date-time', example: '2026-01-01T12:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', example: '2026-01-02T08:30:00.000Z' })
  updatedAt!: string;
}

/** One page of products. */
export class ProductPageDto {
  @ApiProperty({ type: [ProductDto] })
  items!: ProductDto[];

  @ApiProperty({ type: 'integer', example: 137, minimum: 0, description: 'Products matching the filters, over all pages' })
  total!: number;

  @ApiProperty({ type: 'integer', example: 1, minimum: 1, maximum: PAGE_MAX })
  page!: number;

  @ApiProperty({ type: 'integer', example: 20, minimum: 1, maximum: LIMIT_MAX })
  limit!: number;
}

/** A product with the units sold so far (bestsellers). */
export class BestsellerDto extends ProductDto {
  @ApiProperty({ type: 'integer', example: 42, minimum: 0, description: 'Units sold (from placed orders)' })
  unitsSold!: number;
}
