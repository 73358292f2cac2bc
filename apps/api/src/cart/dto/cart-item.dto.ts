import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { MAX_LINE_QUANTITY } from '@app/cart';
import { isUuid } from '@app/common';
import { IsUuid } from '../../http/is-uuid.decorator.js';
import { isIntBetween, PlainlyValidWhen } from '../../http/plainly-valid.js';

/** POST /cart/items: adds `quantity` units to the product's line. */
@PlainlyValidWhen(['productId', 'quantity'], (b) => isUuid(b.productId) && isIntBetween(b.quantity, 1, MAX_LINE_QUANTITY))
export class AddCartItemDto {
  @ApiProperty({ format: 'uuid', example: '0b7e3f0e-2f6a-4c61-9a43-7a0f3f1e5d21' })
  @IsUuid()
  productId!: string;

  @ApiProperty({
    type: 'integer',
    example: 1,
    minimum: 1,
    maximum: MAX_LINE_QUANTITY,
    description: 'Units to add; the line may hold at most 100 and no more than the stock',
  })
  @IsInt()
  @Min(1)
  @Max(MAX_LINE_QUANTITY)
  quantity!: number;
}

/** PUT /cart/items/:productId: sets the line (0 removes it). */
@PlainlyValidWhen(['quantity'], (b) => isIntBetween(b.quantity, 0, MAX_LINE_QUANTITY))
export class SetCartItemDto {
  @ApiProperty({
    type: 'integer',
    example: 3,
    minimum: 0,
    maximum: MAX_LINE_QUANTITY,
    description: 'New quantity of the line; 0 removes it',
  })
  @IsInt()
  @Min(0)
  @Max(MAX_LINE_QUANTITY)
  quantity!: number;
}
