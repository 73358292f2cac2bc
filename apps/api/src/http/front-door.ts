import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { REQUEST_ID_HEADER, resolveRequestId } from '@app/common';
import { responseTimeOf, type AccessLog } from '../logging/access-log.hook.js';
import type { LatencyRecorder } from '../metrics/http-metrics.hook.js';
import type { RouteRateLimit } from '../throttling/route-rate-limit.js';
import { cachedReadCount, routeParam, type CachedRead, type CachedReadCount, type CachedReadCounts } from './cached-reads.js';
import { etagMatches, jsonBodyOf, type JsonBody } from './json-body.js';

/** What the front door needs besides its routes (see FrontDoor.open). */
export interface FrontDoorParts {
  /** The security headers every answer carries (registerSecurityHeaders()). */
  readonly securityHeaders: Readonly<Record<string, string>>;
  readonly accessLog: AccessLog;
  readonly latency: LatencyRecorder;
  /** The client address as Fastify's request.ip gives it (clientAddressOf(TRUST_PROXY)). */
  readonly clientAddress: (req: IncomingMessage) => string | undefined;
  /** Where answers are counted, by route url (MetricsRegistry.frontDoor). */
  readonly answered: Map<string, number>;
}

/** A 200 answer of the front door. */
export interface FrontAnswer {
  readonly body: JsonBody;
  /**
   * A public, shared body: sent with its ETag and `Cache-Control: no-cache` (304 on a matching
   * If-None-Match), as conditionalJson does. Otherwise `Cache-Control: no-store`, the API's default.
   */
  readonly conditional: boolean;
  /** Extra response headers, lower-case name and value pairs (X-Cart-Token). */
  readonly headers?: readonly string[];
}

/**
 * A GET answered before Fastify when `take` recognizes the request. The route's controller stays
 * its one definition (Swagger, validation, errors): the front door takes only requests its
 * controller would answer with 200 and the same body, and hands anything else to Fastify.
 */
export interface FrontRoute {
  /** As Fastify registers it, with the global prefix: exact (`/api/v1/cart`) or ending in its one parameter (`/api/v1/products/:id`). */
  readonly url: string;
  /** The controller's rate limit (the guard's counter, key and headers). */
  readonly limit: RouteRateLimit;
  /** Where its answers are also counted (a cached read's count, shared with its route hook). */
  readonly count?: CachedReadCount;
  /**
   * Before the rate limit, synchronously and without side effects: undefined when the request is
   * Fastify's (nothing was counted), else the work that answers it once admitted. That work may
   * resolve to undefined (or fail): Fastify then answers the request (a rare path: the rate limit
   * counts it twice). Must not throw.
   */
  take(param: string | undefined, req: IncomingMessage): (() => FrontAnswer | Promise<FrontAnswer | undefined>) | undefined;
}

/** A CachedRead (a value L1 holds) as a front-door route: a synchronous answer, conditional. */
export function cachedReadRoute(read: CachedRead, counts: CachedReadCounts): FrontRoute {
  return {
    url: read.url,
    limit: read.limit,
    count: cachedReadCount(counts, read.url),
    take(param) {
      const value = param === undefined ? undefined : read.peek(param);
      return value === undefined ? undefined : () => ({ body: jsonBodyOf(value), conditional: true });
    },
  };
}

/** The Fastify server options the server factory reads (Fastify sets them itself on a server it creates). */
interface FactoryOptions {
  http?: ServerOptions;
  keepAliveTimeout?: number;
  requestTimeout?: number;
  connectionTimeout?: number;
  maxRequestsPerSocket?: number;
}

interface Door {
  readonly route: FrontRoute;
  /** The url before its parameter, or the whole url (exact). */
  readonly prefix: string;
  readonly exact: boolean;
}

/** Longest path parameter Fastify's router accepts (maxParamLength): longer ones are its to answer. */
const MAX_PARAM_LENGTH = 100;
const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Public GETs answered on Node's request event, before Fastify builds its request and reply: a
 * product L1 holds (see CachedRead) and the guest cart. On those, Fastify's routing, its nine
 * onRequest hooks, Nest's guards, interceptors and pipes, reply.send and its three onSend hooks
 * were most of what the API spent beyond Node's own HTTP work.
 *
 * It answers exactly what Fastify would, with the same headers (request id, security headers,
 * rate-limit headers, ETag and Cache-Control, Content-Type, the route's own), the same 304 for a
 * matching If-None-Match on a conditional answer, the same access line and latency metric, and
 * the same rate-limit counter. Everything else goes to Fastify untouched: another method or route,
 * a query string or an encoded character, an Authorization header, what a route does not take, a
 * refused rate limit (the guard answers the 429), and every request once the server is closing. It
 * is not opened when CORS is on (@fastify/cors adds headers to every answer): Fastify answers then.
 */
export class FrontDoor {
  private doors: readonly Door[] = [];
  private parts: FrontDoorParts | undefined;
  private security: readonly string[] = [];
  private closing = false;

  /**
   * Fastify's `serverFactory`: the HTTP server Fastify would create (the same options and
   * timeouts, see fastify/lib/server.js), with each request offered to the front door first.
   */
  readonly serverFactory = (handler: RequestListener, options: FactoryOptions): Server => {
    const server = createServer(options.http ?? {}, (req, res) => {
      let taken: boolean;
      try {
        taken = this.handle(req, res, handler);
      } catch {
        // A fault of its own (none is expected) must not take the process down: Fastify answers,
        // or, past the headers, the connection is dropped.
        taken = res.headersSent;
        if (taken) res.destroy();
      }
      if (!taken) handler(req, res);
    });
    if (options.keepAliveTimeout !== undefined) server.keepAliveTimeout = options.keepAliveTimeout;
    if (options.requestTimeout !== undefined) server.requestTimeout = options.requestTimeout;
    if (options.connectionTimeout !== undefined) server.setTimeout(options.connectionTimeout);
    if (options.maxRequestsPerSocket !== undefined && options.maxRequestsPerSocket > 0)
      server.maxRequestsPerSocket = options.maxRequestsPerSocket;
    return server;
  };

  /** Starts answering `routes` (until then every request goes to Fastify). */
  open(routes: readonly FrontRoute[], parts: FrontDoorParts): void {
    this.parts = parts;
    this.security = Object.entries(parts.securityHeaders).flat();
    this.doors = routes.map((route) => {
      const exact = !route.url.includes(':');
      parts.answered.set(route.url, 0);
      return { route, exact, prefix: exact ? route.url : routeParam(route.url).prefix };
    });
  }

  /** Shutdown began: Fastify answers (Connection: close, 503 for new requests). */
  close(): void {
    this.closing = true;
  }

  /** True when the front door took the request (answered it, or will once its work is done). */
  private handle(req: IncomingMessage, res: ServerResponse, fallback: RequestListener): boolean {
    const parts = this.parts;
    if (parts === undefined || this.closing || req.method !== 'GET') return false;
    const headers = req.headers;
    if (headers.authorization !== undefined) return false;
    const url = req.url ?? '';
    let door: Door | undefined;
    let param: string | undefined;
    for (const d of this.doors) {
      if (d.exact ? url === d.prefix : url.startsWith(d.prefix)) {
        door = d;
        break;
      }
    }
    if (door === undefined) return false;
    if (!door.exact) {
      param = url.slice(door.prefix.length);
      if (param.length === 0 || param.length > MAX_PARAM_LENGTH || /[/?%#]/.test(param)) return false;
    }
    const work = door.route.take(param, req);
    if (work === undefined) return false;
    const started = performance.now();
    const address = parts.clientAddress(req);
    const out = [REQUEST_ID_HEADER, resolveRequestId(headers[REQUEST_ID_HEADER]), ...this.security];
    const admitted = door.route.limit.admitRaw(address ?? 'unknown', out);
    if (admitted === false) return false;
    // After a turn, a fault cannot reach the server's try/catch: Fastify answers, as it would have.
    const recover = (): void => {
      if (!res.headersSent) fallback(req, res);
      else res.destroy();
    };
    const run = (): void => {
      const answer = work();
      if (!(answer instanceof Promise)) return this.send(door, req, res, answer, out, address, started);
      answer.then((a) => (a === undefined ? fallback(req, res) : this.send(door, req, res, a, out, address, started))).catch(recover);
    };
    if (admitted === true) run();
    else admitted.then((ok) => (ok ? run() : fallback(req, res))).catch(recover);
    return true;
  }

  private send(
    door: Door,
    req: IncomingMessage,
    res: ServerResponse,
    answer: FrontAnswer,
    out: string[],
    address: string | undefined,
    started: number,
  ): void {
    const parts = this.parts!;
    const requestId = out[1];
    if (res.destroyed) {
      parts.accessLog.aborted(requestId, 'GET', req.url!, address);
      return;
    }
    const body = answer.body;
    if (answer.headers !== undefined) out.push(...answer.headers);
    let status = 200;
    if (answer.conditional) {
      out.push('etag', body.etag, 'cache-control', 'no-cache');
      if (etagMatches(req.headers['if-none-match'], body.etag)) status = 304;
    } else out.push('cache-control', 'no-store');
    if (status === 304) res.writeHead(304, out).end();
    else {
      out.push('content-type', JSON_TYPE, 'content-length', body.length);
      res.writeHead(200, out).end(body.json);
    }
    const url = door.route.url;
    parts.answered.set(url, (parts.answered.get(url) ?? 0) + 1);
    if (door.route.count !== undefined) door.route.count.answered++;
    // Logged once the answer is handed to the socket, as Fastify's onResponse does on 'finish'.
    const ms = performance.now() - started;
    parts.accessLog.completed({
      requestId,
      method: 'GET',
      url: req.url!,
      remoteAddress: address,
      statusCode: status,
      responseTime: responseTimeOf(ms),
    });
    parts.latency('GET', url, status, ms / 1000);
  }
}
