import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from '@nestjs/common';
import { UnavailableError, createErrorSerializer, stringsIn } from '@app/common';
import { isDatabaseUnavailable } from '@app/database';
import { TooManyRequests } from '../throttling/too-many-requests.js';
import { toErrorResponse, type ErrorResponse } from './error-response.js';

/** What an error answer and its log line are made from: the request as Fastify or Node holds it. */
export interface FailedRequest {
  readonly id: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body?: unknown;
  readonly query?: unknown;
}

/** The answer to a request that failed: status, contract body and the Retry-After it needs. */
export interface ErrorAnswer {
  readonly statusCode: number;
  /** Seconds, for a 429 or a 503 whose cause says when to retry. */
  readonly retryAfter?: string;
  readonly body: ErrorResponse & { requestId: string };
}

/**
 * Turns anything a request threw into its answer and logs what the operators need: the one place
 * both the exception filter (requests Nest handled) and the front door (requests answered before
 * Fastify) go through, so both answer and log a failure the same way.
 */
export function answerError(thrown: unknown, request: FailedRequest, logger: Logger): ErrorAnswer {
  let exception = thrown;
  if (isDatabaseUnavailable(thrown)) {
    // The database could not be reached: a transaction in flight died with its connection, and
    // the client may retry (with the same Idempotency-Key for a checkout).
    exception = new UnavailableError('database: temporarily unavailable', 2);
    const code = (thrown as { code?: string; driverError?: { code?: string } }).driverError?.code ?? (thrown as { code?: string }).code;
    logger.warn({ requestId: request.id, url: pathOf(request.url), msg: `database unavailable (${code ?? (thrown as Error).name})` });
  }
  const body = toErrorResponse(exception);
  if (exception instanceof UnavailableError && exception === thrown) {
    // A dependency the service reported unreachable (cart store, password hashing slots, ...):
    // an expected answer during an outage, not a bug; one warn line without a stack, so an
    // outage does not flood the error log with thousands of identical stacks.
    logger.warn({
      requestId: request.id,
      url: pathOf(request.url),
      msg: `dependency unavailable: ${exception.message} (${exception.name})`,
    });
  } else if (body.statusCode >= 500 && exception === thrown) {
    // Type, message, stack and codes only (no query parameters, driver details or config
    // secrets: see createErrorSerializer), with whatever the client sent cut out of the message
    // and stack (an error may quote its input: a password, an email, a token). The query string
    // is left out of the URL.
    const err = createErrorSerializer(clientValues(request))(exception);
    logger.error({ err, requestId: request.id, url: pathOf(request.url) }, 'unhandled error');
  }
  const retryAfter =
    exception instanceof UnavailableError
      ? String(exception.retryAfterSeconds)
      : exception instanceof TooManyRequests
        ? String(exception.retryAfterSeconds)
        : undefined;
  return { statusCode: body.statusCode, retryAfter, body: { ...body, requestId: request.id } };
}

/** The URL without its query string (which may carry an email, a search text, a token). */
function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** The strings a request carried: body fields, query values, the bearer token and the cart token. */
function clientValues(request: FailedRequest): string[] {
  const headers = [request.headers.authorization, request.headers['x-cart-token']].flatMap((h) =>
    typeof h === 'string' ? [h, h.replace(/^Bearer\s+/i, '')] : [],
  );
  return [...headers, ...stringsIn(request.body), ...stringsIn(request.query)];
}
