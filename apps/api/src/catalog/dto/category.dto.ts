import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { SLUG_PATTERN, NO_NUL, NO_NUL_MESSAGE } from '@app/catalog';
import { IsUuid } from '../../http/is-uuid.decorator.js';

/** A category as GET /categories returns it. */
export class CategoryDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'Kitchen' })
  name!: string;

  @ApiProperty({ example: 'kitchen' })
  slug!: string;

  @ApiProperty({ format: 'uuid', nullable: true, type: String, example: null, description: 'Parent category, null at the top level' })
  parentId!: string | null;
}

const SLUG_MESSAGE = 'must be lower-case letters and digits separated by single dashes';

/** POST /categories. */
export class CreateCategoryDto {
  @ApiProperty({ example: 'Kitchen', minLength: 1, maxLength: 120 })
  @IsString()
  @MinLength(1)
  @MaxLength(120)
  @Matches(NO_NUL, { message: NO_NUL_MESSAGE })
  name!: string;

  @ApiProperty({ example: 'kitchen', maxLength: 120, pattern: SLUG_PATTERN.source, description: 'Unique (taken → 409)' })
  @IsString()
  @MaxLength(120)
  @Matches(SLUG_PATTERN, { message: SLUG_MESSAGE })
  slug!: string;

  @ApiPropertyOptional({
    format: 'uuid',
    nullable: true,
    type: String,
    description: 'An existing category (unknown → 400 naming parentId)',
  })
  @IsOptional()
  @IsUuid()
  parentId?: string | null;
}

/** PATCH /categories/:id: any subset; `parentId: null` moves the category to the top level. */
export class UpdateCategoryDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 120 })
  @ValidateIf((_, v) => v !== undefined)
  @IsString()
  @MinLength(1)
  @MaxLength(120)
  @Matches(NO_NUL, { message: NO_NUL_MESSAGE })
  name?: string;

  @ApiPropertyOptional({ maxLength: 120, pattern: SLUG_PATTERN.source })
  @ValidateIf((_, v) => v !== undefined)
  @IsString()
  @MaxLength(120)
  @Matches(SLUG_PATTERN, { message: SLUG_MESSAGE })
  slug?: string;

  @ApiPropertyOptional({ format: 'uuid', nullable: true, type: String })
  @IsOptional()
  @IsUuid()
  parentId?: string | null;
}
