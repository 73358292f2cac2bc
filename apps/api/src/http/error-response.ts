import { HttpException, HttpStatus } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { DomainError, type DomainErrorKind } from '@app/common';

/** The one place where domain failures become HTTP statuses. */
const STATUS_OF: Record<DomainErrorKind, number> = {
  invalid: HttpStatus.BAD_REQUEST,
  unauthenticated: HttpStatus.UNAUTHORIZED,
  forbidden: HttpStatus.FORBIDDEN,
  'not-found': HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  unprocessable: HttpStatus.UNPROCESSABLE_ENTITY,
  unavailable: HttpStatus.SERVICE_UNAVAILABLE,
};

export interface ErrorResponse {
  statusCode: number;
  error: string;
  message: string | string[];
}

/**
 * Maps anything thrown to the contract's error body. Only domain errors and HttpExceptions speak to
 * the client; everything else becomes a bare 500 so no stack, SQL or Redis text can leak.
 */
export function toErrorResponse(exception: unknown): ErrorResponse {
  if (exception instanceof DomainError) {
    const statusCode = STATUS_OF[exception.kind];
    return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message: exception.messages };
  }
  if (exception instanceof HttpException) {
    // Nest wraps Fastify's client errors in an HttpException carrying Fastify's wording; the
    // contract names the field instead ("body: is too large").
    const wrapped = fastifyClientErrorStatus(exception.cause);
    if (wrapped)
      return { statusCode: wrapped, error: STATUS_CODES[wrapped] ?? 'Error', message: fastifyClientMessage(exception.cause, wrapped) };
    const statusCode = exception.getStatus();
    const body = exception.getResponse();
    const error = STATUS_CODES[statusCode] ?? 'Error';
    if (typeof body === 'string') return { statusCode, error, message: body };
    const { message } = body as { message?: unknown };
    const text = Array.isArray(message) ? message.map(String) : typeof message === 'string' ? message : error;
    return { statusCode, error, message: text };
  }
  const fastifyStatus = fastifyClientErrorStatus(exception);
  if (fastifyStatus) {
    return {
      statusCode: fastifyStatus,
      error: STATUS_CODES[fastifyStatus] ?? 'Error',
      message: fastifyClientMessage(exception, fastifyStatus),
    };
  }
  return { statusCode: HttpStatus.INTERNAL_SERVER_ERROR, error: 'Internal Server Error', message: 'Internal server error' };
}

// Fastify rejects malformed requests (bad JSON, wrong content type, body too large) before Nest
// sees them; those are client errors with their own 4xx status.
function fastifyClientErrorStatus(exception: unknown): number | null {
  const e = exception as { code?: unknown; statusCode?: unknown };
  if (
    typeof e?.code === 'string' &&
    e.code.startsWith('FST_') &&
    typeof e.statusCode === 'number' &&
    e.statusCode >= 400 &&
    e.statusCode < 500
  ) {
    return e.statusCode;
  }
  return null;
}

function fastifyClientMessage(exception: unknown, status: number): string {
  const code = (exception as { code: string }).code;
  if (code === 'FST_ERR_CTP_INVALID_JSON_BODY' || code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || /JSON/i.test(code))
    return 'body: is not valid JSON';
  if (status === 413) return 'body: is too large';
  if (status === 415) return 'content-type: is not supported';
  return STATUS_CODES[status] ?? 'Bad request';
}
