import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler } from 'fastify';
import type { RouteRateLimit } from '../throttling/route-rate-limit.js';
import { conditionalJson, jsonBodyOf } from './json-body.js';

/**
 * A public GET route whose answer, when this instance's L1 holds it, is sent before Nest routes the
 * request: the route-level onRequest hook below runs after the app's own onRequest hooks (request
 * id, security headers), and the response still goes through every onSend and onResponse hook
 * (no-store default, access log, metrics). What it skips is Nest's per-request work (execution
 * context, three guards, pipes, the handler's promise chain), about a third of a cached GET's CPU.
 *
 * The controller stays the route's one definition (Swagger, validation, errors, misses): a request
 * the hook does not answer goes on to it unchanged. The hook answers only what the controller would
 * answer the same way:
 * - no Authorization header (a caller with a token goes through the guards);
 * - `peek` finds the body synchronously in L1 (a cache value: the same object on every hit, so its
 *   JSON and ETag are computed once, see jsonBodyOf); anything else (bad id, miss, unknown id) is
 *   the controller's, before anything was counted;
 * - the route's rate limit admits it (RouteRateLimit: the guard's counter, key and headers); a
 *   refused request goes on, and the guard answers the 429.
 */
export interface CachedRead {
  /** The route as Fastify registers it, with the global prefix: `/api/v1/products/:id`. */
  readonly url: string;
  /** The body from this instance's L1 now, or undefined (the controller answers). Must not throw. */
  peek(request: FastifyRequest): object | undefined;
  readonly limit: RouteRateLimit;
}

/** Answers counted here, by route url (exported as a Prometheus counter by the metrics module). */
export type CachedReadCounts = Map<string, { answered: number }>;

/** Attaches each read's hook to its GET route as Nest registers it. Call before the app's init(). */
export function registerCachedReads(fastify: FastifyInstance, reads: readonly CachedRead[], counts: CachedReadCounts = new Map()): void {
  const byUrl = new Map(reads.map((r) => [r.url, r]));
  fastify.addHook('onRoute', (route) => {
    const read = route.method === 'GET' ? byUrl.get(route.url) : undefined;
    if (read === undefined) return;
    const count = { answered: 0 };
    counts.set(read.url, count);
    const own = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    route.onRequest = [...own, cachedReadHook(read, count)];
  });
}

/** Callback style, not async: a hit with a reserved rate-limit hit is answered in the same turn. */
function cachedReadHook(read: CachedRead, count: { answered: number }): onRequestHookHandler {
  return (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    if (request.headers.authorization !== undefined) return done();
    const value = read.peek(request);
    if (value === undefined) return done();
    const answer = (admitted: boolean): void => {
      if (!admitted) return done();
      count.answered++;
      // Replying from a callback hook: done() is not called, the rest of the chain is skipped.
      void reply.send(conditionalJson(request, reply, jsonBodyOf(value)));
    };
    const admitted = read.limit.admit(request, reply);
    if (typeof admitted === 'boolean') return answer(admitted);
    admitted.then(answer, (error: unknown) => done(error as Error));
  };
}
