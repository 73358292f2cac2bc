import { applyDecorators, type Type } from '@nestjs/common';
import { ApiBadRequestResponse, ApiHeader, ApiNotFoundResponse, ApiOkResponse, ApiResponse } from '@nestjs/swagger';
import { ErrorBody } from '@app/common';

/** Swagger for a public conditional GET: 200 with ETag, 304 on If-None-Match, 400 on bad input. */
export const ApiConditionalGet = (type: Type<unknown> | [Type<unknown>], opts: { notFound?: boolean } = {}): MethodDecorator =>
  applyDecorators(
    ApiHeader({ name: 'If-None-Match', required: false, description: 'ETag of a previous response: 304 when unchanged' }),
    ApiOkResponse({
      type: Array.isArray(type) ? type[0] : type,
      isArray: Array.isArray(type),
      headers: { ETag: { description: 'Validator of this body', schema: { type: 'string' } } },
    }),
    ApiResponse({ status: 304, description: 'Not modified (If-None-Match matched the current ETag)' }),
    ApiBadRequestResponse({ type: ErrorBody, description: 'Invalid parameter (the message names it)' }),
    ...(opts.notFound ? [ApiNotFoundResponse({ type: ErrorBody, description: 'Unknown or deleted' })] : []),
  );
