import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { UnavailableError, createErrorSerializer, stringsIn } from '@app/common';
import { isDatabaseUnavailable } from '@app/database';
import { toErrorResponse } from './error-response.js';

/** The single exception filter: contract error body with requestId, details only in the log. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(thrown: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    let exception = thrown;
    if (isDatabaseUnavailable(thrown)) {
      // The database could not be reached: a transaction in flight died with its connection, and
      // the client may retry (with the same Idempotency-Key for a checkout).
      exception = new UnavailableError('database: temporarily unavailable', 2);
      const code = (thrown as { code?: string; driverError?: { code?: string } }).driverError?.code ?? (thrown as { code?: string }).code;
      this.logger.warn({
        requestId: request.id,
        url: pathOf(request.url),
        msg: `database unavailable (${code ?? (thrown as Error).name})`,
      });
    }
    const body = toErrorResponse(exception);
    if (exception instanceof UnavailableError && exception === thrown) {
      // A dependency the service reported unreachable (cart store, password hashing slots, ...):
      // an expected answer during an outage, not a bug; one warn line without a stack, so an
      // outage does not flood the error log with thousands of identical stacks.
      this.logger.warn({
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
      this.logger.error({ err, requestId: request.id, url: pathOf(request.url) }, 'unhandled error');
    }
    if (reply.sent) return;
    if (exception instanceof UnavailableError) void reply.header('retry-after', String(exception.retryAfterSeconds));
    void reply
      .status(body.statusCode)
      .header('content-type', 'application/json; charset=utf-8')
      .send({ ...body, requestId: request.id });
  }
}

/** The URL without its query string (which may carry an email, a search text, a token). */
function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** The strings a request carried: body fields, query values, the bearer token and the cart token. */
function clientValues(request: FastifyRequest): string[] {
  const headers = [request.headers.authorization, request.headers['x-cart-token']].flatMap((h) =>
    typeof h === 'string' ? [h, h.replace(/^Bearer\s+/i, '')] : [],
  );
  return [...headers, ...stringsIn(request.body), ...stringsIn(request.query)];
}
