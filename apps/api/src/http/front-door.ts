import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import type { Logger } from '@nestjs/common';
import type { FastifyInstance, preParsingHookHandler } from 'fastify';
import { REQUEST_ID_HEADER, resolveRequestId } from '@app/common';
import { responseTimeOf, type AccessLog } from '../logging/access-log.hook.js';
import type { LatencyRecorder } from '../metrics/http-metrics.hook.js';
import type { RouteRateLimit } from '../throttling/route-rate-limit.js';
import { cachedReadCount, routeParam, type CachedRead, type CachedReadCount, type CachedReadCounts } from './cached-reads.js';
import { answerError } from './error-answer.js';
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
  /** Where a failed write is logged (as the exception filter logs it). */
  readonly errorLog: Logger;
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
 * A request answered before Fastify when `take` recognizes it. The route's controller stays its one
 * definition (Swagger, validation, errors): the front door takes only requests its controller would
 * answer with 200 and the same body, and hands anything else to Fastify.
 */
export interface FrontRoute {
  /** As Fastify registers it, with the global prefix: exact (`/api/v1/cart`) or ending in its one parameter (`/api/v1/products/:id`). */
  readonly url: string;
  /**
   * GET (the default), or POST: a small JSON body, read and parsed before `take`, which is given
   * it. A POST's work changes state, so once admitted it is answered here whatever happens: its
   * result, or what it throws as the exception filter answers it (answerError); it must not
   * resolve to undefined.
   */
  readonly method?: 'GET' | 'POST';
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
  take(param: string | undefined, req: IncomingMessage, body?: unknown): (() => FrontAnswer | Promise<FrontAnswer | undefined>) | undefined;
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
  readonly method: 'GET' | 'POST';
  /** The url before its parameter, or the whole url (exact). */
  readonly prefix: string;
  readonly exact: boolean;
}

/** Longest path parameter Fastify's router accepts (maxParamLength): longer ones are its to answer. */
const MAX_PARAM_LENGTH = 100;
const JSON_TYPE = 'application/json; charset=utf-8';
/**
 * Largest POST body the front door reads (bytes, from Content-Length): its routes take a few
 * fields. A larger one, a chunked one or another content type is Fastify's to read.
 */
const MAX_FRONT_BODY = 1024;

/**
 * Public requests answered on Node's request event, before Fastify builds its request and reply: a
 * product L1 holds (see CachedRead), the guest cart, and a guest adding to its cart. On those,
 * Fastify's routing, its nine onRequest hooks, its body parsing, Nest's guards, interceptors and
 * pipes, reply.send and its three onSend hooks were most of what the API spent beyond Node's own
 * HTTP work.
 *
 * It answers exactly what Fastify would, with the same headers (request id, security headers,
 * rate-limit headers, ETag and Cache-Control, Content-Type, the route's own), the same 304 for a
 * matching If-None-Match on a conditional answer, the same access line and latency metric, and
 * the same rate-limit counter. Everything else goes to Fastify untouched: another method or route,
 * a query string or an encoded character, an Authorization header, what a route does not take, a
 * refused rate limit (the guard answers the 429), and every request once the server is closing. A
 * POST body the front door has read and then hands over is given back to Fastify's parser (see
 * registerReplay). It is not opened when CORS is on (@fastify/cors adds headers to every answer):
 * Fastify answers then.
 */
export class FrontDoor {
  private doors: readonly Door[] = [];
  private parts: FrontDoorParts | undefined;
  private security: readonly string[] = [];
  private closing = false;
  /** Answers of this event-loop turn, written once its reads are done: write, recover, write… (see soon). */
  private pending: (() => void)[] = [];
  /** POST bodies read here and handed to Fastify, for its parser (see registerReplay). */
  private readonly replayed = new WeakMap<IncomingMessage, Buffer>();

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
      return { route, method: route.method ?? 'GET', exact, prefix: exact ? route.url : routeParam(route.url).prefix };
    });
  }

  /**
   * Gives Fastify's body parser the body of a POST the front door read and then handed over (a
   * preParsing hook on the front door's POST routes, added as Nest registers them: call before
   * app.init()). The request stream itself has ended by then.
   */
  registerReplay(fastify: FastifyInstance): void {
    const posts = new Set(this.doors.filter((d) => d.method === 'POST').map((d) => d.route.url));
    if (posts.size === 0) return;
    const replay: preParsingHookHandler = (request, _reply, payload, done) => {
      const raw = this.replayed.get(request.raw);
      done(null, raw === undefined ? payload : Readable.from([raw], { objectMode: false }));
    };
    fastify.addHook('onRoute', (route) => {
      if (route.method !== 'POST' || !posts.has(route.url)) return;
      const own = route.preParsing === undefined ? [] : Array.isArray(route.preParsing) ? route.preParsing : [route.preParsing];
      route.preParsing = [replay, ...own];
    });
  }

  /** Shutdown began: Fastify answers (Connection: close, 503 for new requests). */
  close(): void {
    this.closing = true;
  }

  /** True when the front door took the request (answered it, or will once its work is done). */
  private handle(req: IncomingMessage, res: ServerResponse, fallback: RequestListener): boolean {
    const parts = this.parts;
    const method = req.method;
    if (parts === undefined || this.closing || (method !== 'GET' && method !== 'POST')) return false;
    const headers = req.headers;
    if (headers.authorization !== undefined) return false;
    const url = req.url ?? '';
    let door: Door | undefined;
    let param: string | undefined;
    for (const d of this.doors) {
      if (d.method === method && (d.exact ? url === d.prefix : url.startsWith(d.prefix))) {
        door = d;
        break;
      }
    }
    if (door === undefined) return false;
    if (!door.exact) {
      param = url.slice(door.prefix.length);
      if (param.length === 0 || param.length > MAX_PARAM_LENGTH || /[/?%#]/.test(param)) return false;
    }
    if (method === 'GET') return this.admit(door, param, req, res, fallback, undefined, undefined);
    if (!smallJsonBody(req)) return false;
    this.readBody(req, res, (raw) => {
      let taken = false;
      try {
        taken = this.admit(door, param, req, res, fallback, JSON.parse(raw.toString('utf8')), raw);
      } catch {
        // Not JSON, or a fault of its own after the body's turn, where the server's try/catch
        // cannot reach: Fastify answers, or, past the headers, the connection is dropped.
        if (res.headersSent) return void res.destroy();
      }
      if (!taken) this.handOver(req, res, fallback, raw);
    });
    return true;
  }

  /**
   * Takes the request through the route's `take` and rate limit, then runs its work: true once it
   * is the front door's to answer, false when Fastify answers it (nothing was counted). A POST
   * (`raw`, its body) handed over after a turn is given its body back.
   */
  private admit(
    door: Door,
    param: string | undefined,
    req: IncomingMessage,
    res: ServerResponse,
    fallback: RequestListener,
    body: unknown,
    raw: Buffer | undefined,
  ): boolean {
    const parts = this.parts!;
    const work = door.route.take(param, req, body);
    if (work === undefined) return false;
    const started = performance.now();
    const address = parts.clientAddress(req);
    const out = [REQUEST_ID_HEADER, resolveRequestId(req.headers[REQUEST_ID_HEADER]), ...this.security];
    const admitted = door.route.limit.admitRaw(address ?? 'unknown', out);
    if (admitted === false) return false;
    const handOver = (): void => this.handOver(req, res, fallback, raw);
    // After a turn, a fault cannot reach the server's try/catch: Fastify answers, as it would have.
    const recover = (): void => {
      if (!res.headersSent) handOver();
      else res.destroy();
    };
    const send = (answer: FrontAnswer, onFault = recover): void =>
      this.soon(() => this.send(door, req, res, answer, out, address, started), onFault);
    const run = (): void => {
      const answer = work();
      if (!(answer instanceof Promise)) return send(answer);
      if (raw === undefined) {
        answer.then((a) => (a === undefined ? handOver() : send(a))).catch(recover);
        return;
      }
      // A write: what it did is answered here, a failure included (Fastify would run it again).
      answer
        .then(
          (a) => send(a!, () => res.destroy()),
          (thrown: unknown) => this.fail(door, req, res, thrown, body, out, address, started),
        )
        .catch(() => res.destroy());
    };
    if (admitted === true) run();
    else admitted.then((ok) => (ok ? run() : handOver())).catch(recover);
    return true;
  }

  /**
   * Runs `write` (an answer going out) once this turn of the event loop has read every request and
   * reply it received, together with the other answers of the turn, instead of as each is ready.
   * Writing to a socket wakes its reader: answered one by one, a client with many connections is
   * woken once per answer, and on loopback the kernel does that waking inside our write(). In a
   * burst it is woken once. Nothing waits longer than the rest of the turn. A fault in `write`
   * goes to `recover` (Fastify answers, or the connection is dropped; a write already done is
   * never handed to Fastify), never to the other answers.
   */
  private soon(write: () => void, recover: () => void): void {
    if (this.pending.push(write, recover) === 2) setImmediate(this.writePending);
  }

  private readonly writePending = (): void => {
    const pending = this.pending;
    this.pending = [];
    for (let i = 0; i < pending.length; i += 2) {
      try {
        pending[i]();
      } catch {
        try {
          pending[i + 1]();
        } catch {
          // Nothing left to answer with: the connection is the client's to retry.
        }
      }
    }
  };

  /** Reads a POST body the request announced with Content-Length (smallJsonBody), then calls `done`. */
  private readBody(req: IncomingMessage, res: ServerResponse, done: (raw: Buffer) => void): void {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer): void => void chunks.push(chunk);
    const onAbort = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      // The client went away before its body ended: nothing to answer, as Fastify's onRequestAbort logs it.
      this.parts!.accessLog.aborted(
        resolveRequestId(req.headers[REQUEST_ID_HEADER]),
        req.method!,
        req.url!,
        this.parts!.clientAddress(req),
      );
      res.destroy();
    };
    const onEnd = (): void => {
      req.off('data', onData);
      req.off('error', onAbort);
      done(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onAbort);
  }

  /** Fastify answers the request; a body read here is given back to its parser. */
  private handOver(req: IncomingMessage, res: ServerResponse, fallback: RequestListener, raw: Buffer | undefined): void {
    if (raw !== undefined) this.replayed.set(req, raw);
    fallback(req, res);
  }

  /** A write's failure, answered and logged as the exception filter does. */
  private fail(
    door: Door,
    req: IncomingMessage,
    res: ServerResponse,
    thrown: unknown,
    body: unknown,
    out: string[],
    address: string | undefined,
    started: number,
  ): void {
    const answer = answerError(thrown, { id: out[1], url: req.url!, headers: req.headers, body }, this.parts!.errorLog);
    if (answer.retryAfter !== undefined) out.push('retry-after', answer.retryAfter);
    out.push('cache-control', 'no-store');
    this.finish(door, req, res, answer.statusCode, JSON.stringify(answer.body), out, address, started);
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
    const body = answer.body;
    if (answer.headers !== undefined) out.push(...answer.headers);
    if (!answer.conditional) {
      out.push('cache-control', 'no-store');
      return this.finish(door, req, res, 200, body.json, out, address, started, body.length);
    }
    out.push('etag', body.etag, 'cache-control', 'no-cache');
    const status = etagMatches(req.headers['if-none-match'], body.etag) ? 304 : 200;
    this.finish(door, req, res, status, status === 304 ? undefined : body.json, out, address, started, body.length);
  }

  /** Writes the answer (`out` holds every header but the content's), counts, logs and measures it. */
  private finish(
    door: Door,
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    json: string | undefined,
    out: string[],
    address: string | undefined,
    started: number,
    length?: string,
  ): void {
    const parts = this.parts!;
    const requestId = out[1];
    const method = req.method!;
    if (res.destroyed) {
      parts.accessLog.aborted(requestId, method, req.url!, address);
      return;
    }
    if (json === undefined) res.writeHead(status, out).end();
    else {
      out.push('content-type', JSON_TYPE, 'content-length', length ?? String(Buffer.byteLength(json)));
      res.writeHead(status, out).end(json);
    }
    const url = door.route.url;
    parts.answered.set(url, (parts.answered.get(url) ?? 0) + 1);
    if (door.route.count !== undefined) door.route.count.answered++;
    // Logged once the answer is handed to the socket, as Fastify's onResponse does on 'finish'.
    const ms = performance.now() - started;
    parts.accessLog.completed({
      requestId,
      method,
      url: req.url!,
      remoteAddress: address,
      statusCode: status,
      responseTime: responseTimeOf(ms),
    });
    parts.latency(method, url, status, ms / 1000);
  }
}

/**
 * A body the front door reads itself: JSON (as Fastify's parser matches it, parameters allowed) of at
 * most MAX_FRONT_BODY bytes announced by Content-Length, with no Transfer-Encoding or Expect.
 */
function smallJsonBody(req: IncomingMessage): boolean {
  const headers = req.headers;
  if (headers['transfer-encoding'] !== undefined || headers.expect !== undefined) return false;
  const type = headers['content-type'];
  if (type === undefined || !/^application\/json\s*(;|$)/i.test(type)) return false;
  const length = headers['content-length'];
  if (length === undefined || !/^[1-9]\d{0,5}$/.test(length)) return false;
  return Number(length) <= MAX_FRONT_BODY;
}
