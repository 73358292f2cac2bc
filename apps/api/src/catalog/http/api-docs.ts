import { applyDecorators, type Type } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiResponse } from '@nestjs/swagger';
import { ApiErrors } from '../../http/api-errors.decorator.js';

const ETAG_HEADER = {
  description: 'Validator of this body (send it back in If-None-Match)',
  schema: { type: 'string' as const, example: '"q0Xb2k9yZmQpr7cWq1vJ3sN5tLe"' },
};

/** Swagger for a public conditional GET: 200 with ETag, 304 on If-None-Match, 400 on bad input. */
export const ApiConditionalGet = (type: Type<unknown> | [Type<unknown>], opts: { notFound?: boolean } = {}): MethodDecorator =>
  applyDecorators(
    ApiHeader({ name: 'If-None-Match', required: false, description: 'ETag of a previous response: 304 when unchanged' }),
    ApiOkResponse({
      type: Array.isArray(type) ? type[0] : type,
      isArray: Array.isArray(type),
      headers: { ETag: ETAG_HEADER },
    }),
    ApiResponse({
      status: 304,
      description: 'Not modified (If-None-Match matched the current ETag); no body',
      headers: { ETag: ETAG_HEADER },
    }),
    ApiErrors({ status: 400, description: 'Invalid parameter (the message names it)' }),
    ...(opts.notFound ? [ApiErrors({ status: 404, description: 'Unknown or deleted' })] : []),
  );
