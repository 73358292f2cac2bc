import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  registerDecorator,
  type ValidationArguments,
} from 'class-validator';
import { PaginationQueryDto } from '../../http/pagination-query.dto.js';
import { DEFAULT_SORT, INT4_MAX, LIMIT_MAX, PRODUCT_SORTS, SLUG_PATTERN, type ProductSort, NO_NUL, NO_NUL_MESSAGE } from '@app/catalog';

/** Fails when the value is below another (already numeric) property of the same object. */
function NotBelow(other: string): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'notBelow',
      target: target.constructor,
      propertyName: propertyName as string,
      constraints: [other],
      options: { message: `must be greater than or equal to ${other}` },
      validator: {
        validate: (value: unknown, args: ValidationArguments) => {
          const floor = (args.object as Record<string, unknown>)[other];
          return typeof floor !== 'number' || typeof value !== 'number' || value >= floor;
        },
      },
    });
}

/** Query of GET /products: filters, sort and pagination. Unknown parameters are rejected (400). */
export class ProductQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({
    description: 'Words that must all appear in the name or description (case-insensitive)',
    maxLength: 100,
    example: 'espresso cup',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Matches(NO_NUL, { message: NO_NUL_MESSAGE })
  q?: string;

  @ApiPropertyOptional({
    description: 'Category slug; an unknown slug matches nothing',
    example: 'kitchen',
    pattern: SLUG_PATTERN.source,
    maxLength: 120,
  })
  @IsOptional()
  @IsString()
  @Matches(SLUG_PATTERN, { message: 'must be a category slug (lower-case letters, digits and dashes)' })
  @MaxLength(120)
  category?: string;

  @ApiPropertyOptional({ type: 'integer', description: 'Lowest price in cents (inclusive)', minimum: 0, maximum: INT4_MAX, example: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(INT4_MAX)
  minPrice?: number;

  @ApiPropertyOptional({
    type: 'integer',
    description: 'Highest price in cents (inclusive); must be ≥ minPrice',
    minimum: 0,
    maximum: INT4_MAX,
    example: 5000,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(INT4_MAX)
  @NotBelow('minPrice')
  maxPrice?: number;

  @ApiPropertyOptional({ enum: ['true', 'false'], description: '`true`: only products with stock > 0; `false` (default): no stock filter' })
  @IsOptional()
  @IsIn(['true', 'false'])
  inStock?: 'true' | 'false';

  @ApiPropertyOptional({ enum: PRODUCT_SORTS, default: DEFAULT_SORT, description: 'Sort field, `-` for descending; ties are broken by id' })
  @IsOptional()
  @IsIn(PRODUCT_SORTS)
  sort?: ProductSort;
}

/** Query of GET /products/bestsellers. */
export class BestsellersQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: LIMIT_MAX, default: 10 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(LIMIT_MAX)
  limit?: number;
}
