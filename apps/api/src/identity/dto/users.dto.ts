import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsNotEmpty, IsString, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { ROLES, type Role } from '@app/identity';
import { ApiSchemaExtras } from '../../docs/schema-extras.js';
import { PaginationQueryDto } from '../../http/pagination-query.dto.js';
import { PASSWORD_MAX, PASSWORD_MIN } from './auth.dto.js';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

/** `null` is not "absent" (IsOptional would let it through to the database): a field that is present must be valid. */
const present = (_: object, value: unknown): boolean => value !== undefined;

/** PATCH /users/me: any subset; `null` for a field is a 400 naming it. */
@ApiSchemaExtras({
  anyOf: [
    { not: { properties: { password: { type: 'string' } }, required: ['password'] } },
    { properties: { currentPassword: { type: 'string', minLength: 1 } }, required: ['currentPassword'] },
  ],
})
export class UpdateMeDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 100, pattern: '\\S', example: 'Ada King', description: 'Trimmed; must not be blank' })
  @ValidateIf(present)
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  name?: string;

  @ApiPropertyOptional({
    minLength: PASSWORD_MIN,
    maxLength: PASSWORD_MAX,
    description: 'New password; needs currentPassword; revokes the other sessions',
  })
  @ValidateIf(present)
  @IsString()
  @MinLength(PASSWORD_MIN, { message: `must be at least ${PASSWORD_MIN} characters` })
  @MaxLength(PASSWORD_MAX)
  password?: string;

  @ApiPropertyOptional({ maxLength: PASSWORD_MAX, description: 'Required (not empty) when changing the password' })
  @ValidateIf(present)
  @IsString()
  @MaxLength(PASSWORD_MAX)
  currentPassword?: string;
}

export class UpdateRoleDto {
  @ApiProperty({ enum: ROLES, example: 'admin' })
  @IsIn(ROLES, { message: `must be one of ${ROLES.join(', ')}` })
  role!: Role;
}

/** `GET /users` takes only the shared pagination parameters. */
export class ListUsersQuery extends PaginationQueryDto {}
