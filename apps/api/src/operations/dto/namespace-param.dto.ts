import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';

const NAMESPACE_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export class NamespaceParamDto {
  @ApiProperty({
    example: 'products',
    description: 'Cache namespace (lower-case letters, digits, - and _)',
    pattern: NAMESPACE_PATTERN.source,
    maxLength: 64,
  })
  @Matches(NAMESPACE_PATTERN, { message: 'must be a cache namespace: lower-case letters, digits, - and _' })
  namespace!: string;
}
