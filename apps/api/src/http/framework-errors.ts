import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { REQUEST_ID_HEADER } from '@app/common';

/**
 * Fastify's `frameworkErrors` handler: the router refuses a URL before any hook, Nest guard or
 * exception filter runs (a malformed percent-encoding such as `/products/%%32%65` → 400, a path
 * parameter longer than the router's limit → 414). Without it Fastify answers with its own body
 * (`code`, the raw path echoed, no requestId) and no X-Request-ID header. This answers with the
 * contract's error body and headers instead; the path is not echoed.
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const statusCode =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 414
      : typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500
        ? error.statusCode
        : 400;
  const message =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 'url: a path parameter is too long'
      : error.code === 'FST_ERR_BAD_URL'
        ? 'url: is not a valid URL (malformed percent-encoding)'
        : 'url: is invalid';
  void reply
    .status(statusCode)
    .header(REQUEST_ID_HEADER, request.id)
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff')
    .header('content-type', 'application/json; charset=utf-8')
    .send({ statusCode, error: STATUS_CODES[statusCode] ?? 'Bad Request', message, requestId: request.id });
}
