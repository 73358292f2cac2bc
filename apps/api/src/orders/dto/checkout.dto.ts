import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, Max, Min, ValidateIf, ValidateNested } from 'class-validator';
import { IsUuid } from '../../http/is-uuid.decorator.js';

export const ORDER_LINE_QUANTITY_MAX = 1_000;
export const ORDER_LINES_MAX = 100;

export class CheckoutItemDto {
  @ApiProperty({ format: 'uuid', example: '0b7e3f0e-2f6a-4c61-9a43-7a0f3f1e5d21' })
  @IsUuid()
  productId!: string;

  @ApiProperty({ example: 2, minimum: 1, maximum: ORDER_LINE_QUANTITY_MAX, type: 'integer' })
  @IsInt()
  @Min(1)
  @Max(ORDER_LINE_QUANTITY_MAX)
  quantity!: number;
}

/** `{}` checks out the caller's cart; `{ items }` buys exactly those lines (the cart is left alone). */
export class CheckoutDto {
  @ApiPropertyOptional({
    type: [CheckoutItemDto],
    minItems: 1,
    maxItems: ORDER_LINES_MAX,
    description: 'Lines to buy, one per product; absent = the caller’s cart',
  })
  // Absent means the cart; null is not absent (it is refused, like any other non-array).
  @ValidateIf((_, value) => value !== undefined)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(ORDER_LINES_MAX)
  @ValidateNested({ each: true })
  @Type(() => CheckoutItemDto)
  items?: CheckoutItemDto[];
}
