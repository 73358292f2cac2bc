import type { FastifyInstance } from 'fastify';
import { skipUnreadBody } from './unread-body.js';

/**
 * Connections that end after their response:
 * - graceful shutdown for keep-alive clients: once closing starts, responses to the requests still
 *   in flight carry `Connection: close`, so their sockets end right after the response instead of
 *   holding the server open until the keep-alive timeout. New requests are refused by Fastify;
 * - a request refused before its body was read (Fastify answers 413 and 415 with
 *   `Connection: close`): the rest of its body is skipped, not copied (see unread-body.ts).
 */
export function registerDrainOnClose(fastify: FastifyInstance): void {
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    if (!request.raw.complete && reply.getHeader('connection') === 'close') skipUnreadBody(request.raw);
    done(null, payload);
  });
}
