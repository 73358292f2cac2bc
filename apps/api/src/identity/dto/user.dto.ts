import { ApiProperty } from '@nestjs/swagger';
import { LIMIT_MAX, PAGE_MAX } from '@app/common';
import { ROLES, type Role } from '@app/identity';

/** A user as responses show it (never a password hash). */
export class UserDto {
  @ApiProperty({ format: 'uuid', example: '5b8f0f7e-2f4c-4b8e-9a57-1f2d3c4b5a69' })
  id!: string;

  @ApiProperty({ format: 'email', example: 'ada@example.com', description: 'Trimmed and lower-cased' })
  email!: string;

  @ApiProperty({ example: 'Ada Lovelace' })
  name!: string;

  @ApiProperty({ enum: ROLES, example: 'customer' })
  role!: Role;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-22T01:00:00.000Z' })
  createdAt!: Date;
}

export class UsersPageDto {
  @ApiProperty({ type: [UserDto] })
  items!: UserDto[];

  @ApiProperty({ type: 'integer', example: 42, minimum: 0, description: 'Users over all pages' })
  total!: number;

  @ApiProperty({ type: 'integer', example: 1, minimum: 1, maximum: PAGE_MAX })
  page!: number;

  @ApiProperty({ type: 'integer', example: 20, minimum: 1, maximum: LIMIT_MAX })
  limit!: number;
}
