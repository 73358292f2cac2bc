import { applyDecorators } from '@nestjs/common';
import { ApiHeader, ApiParam } from '@nestjs/swagger';
import { ApiErrors } from '../../http/api-errors.decorator.js';

export const IDEMPOTENCY_KEY_DOC = ApiHeader({
  name: 'Idempotency-Key',
  required: true,
  description:
    '1 to 255 visible characters, unique per checkout attempt (a UUID is a good choice). The same key with the same body returns the first answer (status and body) and creates nothing more, also while the first request is still running; with another body → 422. Only a created order is remembered: after a 4xx or 5xx the key may be retried. Keys are kept at least 24 h.',
  schema: { type: 'string', minLength: 1, maxLength: 255, example: '6c1f0a52-3f5e-4d8b-9a0e-8f2b1d7c4e21' },
});

/** One order by id: malformed → 400, not the caller's (customers) or unknown → 404. */
export const OrderByIdRoute = (): MethodDecorator =>
  applyDecorators(
    ApiParam({ name: 'id', format: 'uuid' }),
    ApiErrors({ status: 400, description: 'Malformed id or invalid body', message: ['id: must be a UUID'] }),
    ApiErrors({
      status: 404,
      description: 'No such order of the caller (customers) or at all (admins)',
      message: 'order 6c1f0a52-3f5e-4d8b-9a0e-8f2b1d7c4e21 not found',
    }),
  );
