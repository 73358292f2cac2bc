import { ApiProperty } from '@nestjs/swagger';

/** The one error shape every failed request answers with. */
export class ErrorBody {
  @ApiProperty({ type: 'integer', minimum: 400, maximum: 599, example: 400 })
  statusCode!: number;

  @ApiProperty({ example: 'Bad Request' })
  error!: string;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: ['email: must be an email'],
  })
  message!: string | string[];

  @ApiProperty({ example: '3f1c2a9e-6f0e-4a55-b1f6-1f7f2d9b8c11' })
  requestId!: string;
}
