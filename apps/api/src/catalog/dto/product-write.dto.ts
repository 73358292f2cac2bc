import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateIf } from 'class-validator';
import { INT4_MAX, SKU_PATTERN, STOCK_MAX, NO_NUL, NO_NUL_MESSAGE } from '@app/catalog';
import { IsUuid } from '../../http/is-uuid.decorator.js';

/** `null` is not "absent": a PATCH field that is present must be valid. */
const present = (_: object, value: unknown): boolean => value !== undefined;

/** POST /products. The currency is the store currency (config), not part of the body. */
export class CreateProductDto {
  @ApiProperty({
    example: 'KIT-ESP-001',
    maxLength: 64,
    pattern: SKU_PATTERN.source,
    description: 'Unique among live products (taken → 409)',
  })
  @IsString()
  @Matches(SKU_PATTERN, { message: 'must be 1-64 letters, digits, dots, dashes or underscores, starting with a letter or digit' })
  sku!: string;

  @ApiProperty({ example: 'Espresso cup set', minLength: 1, maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @Matches(NO_NUL, { message: NO_NUL_MESSAGE })
  name!: string;

  @ApiPropertyOptional({ example: 'Four double-walled glass cups, 80 ml each.', maxLength: 5000, default: '' })
  @IsOptional()
  @IsString()
  @MaxLength(5000)
  @Matches(NO_NUL, { message: NO_NUL_MESSAGE })
  description?: string;

  @ApiProperty({ type: 'integer', example: 2490, minimum: 0, maximum: INT4_MAX, description: 'Price in cents' })
  @IsInt()
  @Min(0)
  @Max(INT4_MAX)
  priceCents!: number;

  @ApiPropertyOptional({ type: 'integer', example: 12, minimum: 0, maximum: STOCK_MAX, default: 0 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(STOCK_MAX)
  stock?: number;

  @ApiProperty({ format: 'uuid', description: 'An existing category (unknown → 400 naming categoryId)' })
  @IsUuid()
  categoryId!: string;
}

/** PATCH /products/:id: any subset of the create fields (present fields must be valid; null is rejected). */
export class UpdateProductDto {
  @ApiPropertyOptional({ example: 'KIT-ESP-001', maxLength: 64, pattern: SKU_PATTERN.source })
  @ValidateIf(present)
  @IsString()
  @Matches(SKU_PATTERN, { message: 'must be 1-64 letters, digits, dots, dashes or underscores, starting with a letter or digit' })
  sku?: string;

  @ApiPropertyOptional({ example: 'Espresso cup set', minLength: 1, maxLength: 200 })
  @ValidateIf(present)
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @Matches(NO_NUL, { message: NO_NUL_MESSAGE })
  name?: string;

  @ApiPropertyOptional({ maxLength: 5000 })
  @ValidateIf(present)
  @IsString()
  @MaxLength(5000)
  @Matches(NO_NUL, { message: NO_NUL_MESSAGE })
  description?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: INT4_MAX })
  @ValidateIf(present)
  @IsInt()
  @Min(0)
  @Max(INT4_MAX)
  priceCents?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: STOCK_MAX })
  @ValidateIf(present)
  @IsInt()
  @Min(0)
  @Max(STOCK_MAX)
  stock?: number;

  @ApiPropertyOptional({ format: 'uuid' })
  @ValidateIf(present)
  @IsUuid()
  categoryId?: string;
}
