import type { FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { REQUEST_ID_HEADER, resolveRequestId } from '@app/common';

/** Fastify's request id generator: echoes a well-formed X-Request-ID or makes one. */
export function generateRequestId(raw: IncomingMessage): string {
  return resolveRequestId(raw.headers[REQUEST_ID_HEADER]);
}

/** Every response, errors and 404s included, carries the request id. */
export function registerRequestIdHeader(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
}
