import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { answerError } from './error-answer.js';

/** The single exception filter: contract error body with requestId, details only in the log. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(thrown: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const answer = answerError(thrown, request, this.logger);
    if (reply.sent) return;
    if (answer.retryAfter !== undefined) void reply.header('retry-after', answer.retryAfter);
    void reply.status(answer.statusCode).header('content-type', 'application/json; charset=utf-8').send(answer.body);
  }
}
