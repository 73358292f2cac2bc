import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
  registerDecorator,
  type ValidationArguments,
} from 'class-validator';
import { DELTA_MAX, INT4_MAX, STOCK_MAX } from '@app/catalog';
import { ApiSchemaExtras } from '../../docs/schema-extras.js';
import { IsUuid } from '../../http/is-uuid.decorator.js';

/** Fails when the other property is also present: an item sets stock OR applies a delta. */
function NotWith(other: string): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'notWith',
      target: target.constructor,
      propertyName: propertyName as string,
      constraints: [other],
      options: { message: `cannot be combined with ${other}: send either stock or delta` },
      validator: { validate: (_v: unknown, args: ValidationArguments) => (args.object as Record<string, unknown>)[other] === undefined },
    });
}

/** One inventory change: `{ productId, stock }` sets the stock, `{ productId, delta }` adds to it. */
@ApiSchemaExtras({ oneOf: [{ required: ['stock'] }, { required: ['delta'] }] })
export class InventoryItemDto {
  @ApiProperty({ format: 'uuid' })
  @IsUuid()
  productId!: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: STOCK_MAX,
    example: 50,
    description: 'New absolute stock (exactly one of stock or delta)',
  })
  @ValidateIf((o: InventoryItemDto) => o.stock !== undefined || o.delta === undefined)
  @IsInt({ message: 'must be an integer number (send either stock or delta)' })
  @Min(0)
  @Max(STOCK_MAX)
  stock?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: -DELTA_MAX,
    maximum: DELTA_MAX,
    example: -1,
    description: 'Change to apply, e.g. -1 (exactly one of stock or delta)',
  })
  @ValidateIf((o: InventoryItemDto) => o.delta !== undefined)
  @IsInt()
  @Min(-DELTA_MAX)
  @Max(DELTA_MAX)
  @NotWith('stock')
  delta?: number;
}

/** PATCH /products/inventory: applied all or nothing, in one transaction. */
export class InventoryUpdateDto {
  @ApiProperty({
    type: [InventoryItemDto],
    minItems: 1,
    maxItems: 100,
    description: 'At most one item per product (a product named twice is a 400)',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => InventoryItemDto)
  items!: InventoryItemDto[];
}

export class InventoryLevelDto {
  @ApiProperty({ format: 'uuid' })
  productId!: string;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    maximum: INT4_MAX,
    example: 49,
    description: 'The new stock (a delta may raise it beyond the 1,000,000,000 a write sets)',
  })
  stock!: number;
}

/** The new stock of each product, in request order. */
export class InventoryResultDto {
  @ApiProperty({ type: [InventoryLevelDto] })
  items!: InventoryLevelDto[];
}
