import type { FastifyInstance } from 'fastify';

/**
 * Graceful shutdown for keep-alive clients: once closing starts, responses to the requests still
 * in flight carry `Connection: close`, so their sockets end right after the response instead of
 * holding the server open until the keep-alive timeout. New requests are refused by Fastify.
 */
export function registerDrainOnClose(fastify: FastifyInstance): void {
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });
}
