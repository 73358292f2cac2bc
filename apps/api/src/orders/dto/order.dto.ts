import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { LIMIT_MAX, PAGE_MAX } from '@app/common';
import { ORDER_STATUSES, type OrderStatus } from '@app/orders';
import { IsUuid } from '../../http/is-uuid.decorator.js';
import { PaginationQueryDto } from '../../http/pagination-query.dto.js';

/** An order line: the product as it was when bought (kept when the product changes or is deleted). */
export class OrderLineDto {
  @ApiProperty({ format: 'uuid' })
  productId!: string;

  @ApiProperty({ example: 'KIT-ESP-001' })
  sku!: string;

  @ApiProperty({ example: 'Espresso cup set' })
  name!: string;

  @ApiProperty({ example: 2490, minimum: 0, type: 'integer', description: 'Unit price in minor units at checkout' })
  unitPriceCents!: number;

  @ApiProperty({ example: 2, minimum: 1, type: 'integer' })
  quantity!: number;

  @ApiProperty({ example: 4980, minimum: 0, type: 'integer' })
  lineTotalCents!: number;
}

/** The answer of a checkout (replayed byte for byte for the same idempotency key). */
export class OrderDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: ORDER_STATUSES, example: 'placed' })
  status!: OrderStatus;

  @ApiProperty({ type: [OrderLineDto] })
  items!: OrderLineDto[];

  @ApiProperty({ example: 4980, minimum: 0, type: 'integer', description: 'Sum of the line totals, minor units' })
  totalCents!: number;

  @ApiProperty({ example: 'EUR' })
  currency!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

/** An order as reads return it: with its owner. */
export class OwnedOrderDto extends OrderDto {
  @ApiProperty({ format: 'uuid', description: 'The buyer' })
  userId!: string;
}

export class OrderPageDto {
  @ApiProperty({ type: [OwnedOrderDto] })
  items!: OwnedOrderDto[];

  @ApiProperty({ example: 3, type: 'integer', minimum: 0, description: 'Orders over all pages' })
  total!: number;

  @ApiProperty({ example: 1, type: 'integer', minimum: 1, maximum: PAGE_MAX })
  page!: number;

  @ApiProperty({ example: 20, type: 'integer', minimum: 1, maximum: LIMIT_MAX })
  limit!: number;
}

/** `GET /orders`: pagination, and for admins an optional buyer. */
export class ListOrdersQuery extends PaginationQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Admins: only this user’s orders. Customers: only their own id (or omit it)' })
  @IsOptional()
  @IsUuid()
  userId?: string;
}

export class UpdateOrderStatusDto {
  @ApiProperty({ enum: ORDER_STATUSES, example: 'paid', description: 'placed → paid → shipped → delivered; placed or paid → cancelled' })
  @IsIn(ORDER_STATUSES, { message: `must be one of ${ORDER_STATUSES.join(', ')}` })
  status!: OrderStatus;
}

export class HistoryEntryDto {
  @ApiProperty({ format: 'date-time' })
  at!: string;

  @ApiProperty({ enum: ORDER_STATUSES, nullable: true, type: String, example: 'placed', description: 'null for the first entry' })
  from!: OrderStatus | null;

  @ApiProperty({ enum: ORDER_STATUSES, example: 'paid' })
  to!: OrderStatus;

  @ApiProperty({ example: 'admin:6f1d2c3b-4a59-4e8f-9a7b-0c1d2e3f4a5b', description: '`<role>:<user id>`, or `system` (payment expiry)' })
  actor!: string;
}

export class HistoryVerificationDto {
  @ApiProperty({ example: true })
  valid!: boolean;

  @ApiProperty({ example: 3, type: 'integer', description: 'Entries found' })
  entries!: number;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: null,
    description: 'Index of the first changed, missing or misplaced entry; null when valid',
  })
  brokenAt!: number | null;
}
