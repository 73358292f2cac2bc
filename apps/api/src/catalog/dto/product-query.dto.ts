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
import { plainIntParam, PlainlyValidQueryWhen } from '../../http/plainly-valid.js';
import {
  DEFAULT_SORT,
  INT4_MAX,
  LIMIT_MAX,
  PAGE_MAX,
  PRODUCT_SORTS,
  SLUG_PATTERN,
  type ProductSort,
  NO_NUL,
  NO_NUL_MESSAGE,
} from '@app/catalog';

const SORTS: ReadonlySet<string> = new Set(PRODUCT_SORTS);
const QUERY_FIELDS = ['page', 'limit', 'q', 'category', 'minPrice', 'maxPrice', 'inStock', 'sort'];

/** The fields of a plainly valid product query (see the decorators below), or undefined. */
function plainProductQuery(query: Readonly<Record<string, unknown>>): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(query)) {
    const raw = query[key];
    if (typeof raw !== 'string') return undefined;
    let value: unknown;
    switch (key) {
      case 'page':
        value = plainIntParam(raw, 1, PAGE_MAX);
        break;
      case 'limit':
        value = plainIntParam(raw, 1, LIMIT_MAX);
        break;
      case 'minPrice':
      case 'maxPrice':
        value = plainIntParam(raw, 0, INT4_MAX);
        break;
      case 'q':
        // UTF-16 length ≤ 100 is within MaxLength(100), which counts a surrogate pair once.
        value = raw.length <= 100 && !raw.includes('\u0000') ? raw : undefined;
        break;
      case 'category':
        value = raw.length <= 120 && SLUG_PATTERN.test(raw) ? raw : undefined;
        break;
      case 'inStock':
        value = raw === 'true' || raw === 'false' ? raw : undefined;
        break;
      case 'sort':
        value = SORTS.has(raw) ? raw : undefined;
        break;
    }
    if (value === undefined) return undefined;
    out[key] = value;
  }
  const { minPrice, maxPrice } = out;
  if (typeof minPrice === 'number' && typeof maxPrice === 'number' && maxPrice < minPrice) return undefined;
  return out;
}

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
@PlainlyValidQueryWhen(QUERY_FIELDS, plainProductQuery)
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
