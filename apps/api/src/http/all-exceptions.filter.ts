import { Catch, HttpStatus, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { UnavailableError } from '@app/common';
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
      this.logger.warn({ requestId: request.id, url: request.url, msg: `database unavailable (${code ?? (thrown as Error).message})` });
    }
    const body = toErrorResponse(exception);
    if (body.statusCode >= HttpStatus.INTERNAL_SERVER_ERROR && exception === thrown) {
      this.logger.error({ err: exception, requestId: request.id, url: request.url }, 'unhandled error');
    }
    if (reply.sent) return;
    if (exception instanceof UnavailableError) void reply.header('retry-after', String(exception.retryAfterSeconds));
    void reply.status(body.statusCode).header('content-type', 'application/json; charset=utf-8').send({ ...body, requestId: request.id });
  }
}
