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
  /**
   * The route as Fastify registers it, with the global prefix, ending in its one path parameter:
   * `/api/v1/products/:id`.
   */
  readonly url: string;
  /**
   * The body from this instance's L1 now for that parameter's value (as the router decoded it), or
   * undefined (the controller answers). Must not throw.
   */
  peek(param: string): object | undefined;
  readonly limit: RouteRateLimit;
}

/** A CachedRead's url split before its one parameter: `/api/v1/products/` and `id`. */
export function routeParam(url: string): { prefix: string; name: string } {
  const at = url.lastIndexOf('/:');
  const name = url.slice(at + 2);
  if (at < 0 || url.indexOf(':') !== at + 1 || !/^[A-Za-z_]\w*$/.test(name)) {
    throw new Error(`cached read ${url}: expected a route ending in its one parameter (/:name)`);
  }
  return { prefix: url.slice(0, at + 1), name };
}

/** Answers counted here, by route url (exported as a Prometheus counter by the metrics module). */
export type CachedReadCounts = Map<string, CachedReadCount>;

/** Answers of one route, by its route hook and by the front door (which also counts its own, see MetricsRegistry.frontDoor). */
export interface CachedReadCount {
  answered: number;
}

/** Attaches each read's hook to its GET route as Nest registers it. Call before the app's init(). */
export function registerCachedReads(fastify: FastifyInstance, reads: readonly CachedRead[], counts: CachedReadCounts = new Map()): void {
  const byUrl = new Map(reads.map((r) => [r.url, { read: r, param: routeParam(r.url).name }]));
  fastify.addHook('onRoute', (route) => {
    const entry = route.method === 'GET' ? byUrl.get(route.url) : undefined;
    if (entry === undefined) return;
    const count = cachedReadCount(counts, entry.read.url);
    const own = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    route.onRequest = [...own, cachedReadHook(entry.read, entry.param, count)];
  });
}

/** The answer count of a route (one per route, shared by the hook and the front door). */
export function cachedReadCount(counts: CachedReadCounts, url: string): CachedReadCount {
  let count = counts.get(url);
  if (count === undefined) counts.set(url, (count = { answered: 0 }));
  return count;
}

/** Callback style, not async: a hit with a reserved rate-limit hit is answered in the same turn. */
function cachedReadHook(read: CachedRead, param: string, count: CachedReadCount): onRequestHookHandler {
  return (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    if (request.headers.authorization !== undefined) return done();
    const value = read.peek((request.params as Record<string, string>)[param]);
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
