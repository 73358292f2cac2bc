import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath, type HeaderObject, type ResponseObject } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { ErrorBody } from '@app/common';

/** One documented error answer; what is left out comes from the status's defaults below. */
export interface ErrorDoc {
  status: number;
  /** When the API answers with this status on this route. */
  description?: string;
  /** The `message` of the example body: what the API really says in that case. */
  message?: string | string[];
}

/** Example request id of the documented error bodies (a real one is a UUID, echoed in X-Request-ID). */
export const EXAMPLE_REQUEST_ID = '3f1c2a9e-6f0e-4a55-b1f6-1f7f2d9b8c11';

/** The description and example message of each error status the API answers with. */
const DEFAULTS: Record<number, { description: string; message: string | string[] }> = {
  400: { description: 'Invalid parameters or body; the message names each offending field', message: ['email: must be an email address'] },
  401: {
    description: 'Missing, malformed, expired, tampered or revoked access token',
    message: 'Missing, invalid, expired or revoked access token',
  },
  403: { description: 'The caller’s role may not use this route (admins only)', message: 'Insufficient role' },
  404: { description: 'No such resource (unknown or deleted id)', message: 'product 0b7e3f0e-2f6a-4c61-9a43-7a0f3f1e5d21 not found' },
  409: { description: 'Conflicts with the current state of the resource', message: 'sku: is already taken' },
  413: { description: 'Body larger than the route accepts', message: 'body: is too large' },
  414: { description: 'A path parameter longer than the router accepts', message: 'URI Too Long' },
  415: { description: 'Body of an unsupported media type (send application/json)', message: 'content-type: is not supported' },
  422: { description: 'Well-formed but cannot be processed in the current state', message: 'cart: is empty' },
  429: { description: 'Rate limited; retry after the number of seconds in Retry-After', message: 'Too many requests; retry in 30 s' },
  503: {
    description: 'A dependency is unreachable; retry after the number of seconds in Retry-After',
    message: 'database: temporarily unavailable',
  },
};

/** Seconds to wait before retrying: sent with every 429, and with the 503 of an unreachable dependency. */
export const RETRY_AFTER_HEADER: Record<string, HeaderObject> = {
  'Retry-After': { description: 'Seconds to wait before retrying (at least 1)', schema: { type: 'integer', minimum: 1, example: 30 } },
};

/** The OpenAPI response object of an error status: the contract's error body with a matching example. */
export function errorResponse(doc: ErrorDoc): ResponseObject {
  const defaults = DEFAULTS[doc.status];
  const description = doc.description ?? defaults?.description ?? STATUS_CODES[doc.status] ?? 'Error';
  const message = doc.message ?? defaults?.message ?? STATUS_CODES[doc.status] ?? 'Error';
  return {
    description,
    ...(doc.status === 429 || doc.status === 503 ? { headers: { ...RETRY_AFTER_HEADER } } : {}),
    content: {
      'application/json': {
        schema: { $ref: getSchemaPath(ErrorBody) },
        example: { statusCode: doc.status, error: STATUS_CODES[doc.status] ?? 'Error', message, requestId: EXAMPLE_REQUEST_ID },
      },
    },
  };
}

/**
 * Documents error answers of a route (or of every route of a controller): each with the contract's
 * error body `{ statusCode, error, message, requestId }` and an example of that very status, e.g.
 * `@ApiErrors(404, { status: 409, description: 'SKU taken', message: 'sku: is already taken' })`.
 * A bare status takes the default description and message of that status.
 */
export const ApiErrors = (...errors: (number | ErrorDoc)[]): MethodDecorator & ClassDecorator =>
  applyDecorators(
    ApiExtraModels(ErrorBody),
    ...errors.map((error) => {
      const doc = typeof error === 'number' ? { status: error } : error;
      const { description, ...rest } = errorResponse(doc);
      return ApiResponse({ status: doc.status, description, ...rest });
    }),
  );
