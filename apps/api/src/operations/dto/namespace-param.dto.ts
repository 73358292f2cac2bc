import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';

export class NamespaceParamDto {
  @ApiProperty({ example: 'products', description: 'Cache namespace (lower-case letters, digits, - and _)' })
  @Matches(/^[a-z0-9][a-z0-9_-]{0,63}$/, { message: 'must be a cache namespace: lower-case letters, digits, - and _' })
  namespace!: string;
}
