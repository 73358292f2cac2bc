import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { REQUEST_ID_HEADER, resolveRequestId } from '@app/common';
import { responseTimeOf, type AccessLog } from '../logging/access-log.hook.js';
import type { LatencyRecorder } from '../metrics/http-metrics.hook.js';
import { cachedReadCount, routeParam, type CachedRead, type CachedReadCount, type CachedReadCounts } from './cached-reads.js';
import { etagMatches, jsonBodyOf } from './json-body.js';

/** What the front door needs besides the reads (see FrontDoor.open). */
export interface FrontDoorParts {
  /** The security headers every answer carries (securityHeaders()). */
  readonly securityHeaders: Readonly<Record<string, string>>;
  readonly accessLog: AccessLog;
  readonly latency: LatencyRecorder;
  /** The client address as Fastify's request.ip gives it (clientAddressOf(TRUST_PROXY)). */
  readonly clientAddress: (req: IncomingMessage) => string | undefined;
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
  readonly prefix: string;
  readonly read: CachedRead;
  readonly route: string;
  readonly count: CachedReadCount;
}

/** Longest path parameter Fastify's router accepts (maxParamLength): longer ones are its to answer. */
const MAX_PARAM_LENGTH = 100;
const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * The cached reads (CachedRead) answered on Node's request event, before Fastify builds its request
 * and reply: for a product L1 holds, Fastify's routing, its nine onRequest hooks, reply.send and its
 * three onSend hooks were most of what the API spent beyond Node's own HTTP work (the same answer
 * through the route's onRequest hook cost about 1.5x the CPU).
 *
 * It answers exactly what the route hook (registerCachedReads) would, with the same headers (request
 * id, security headers, rate-limit headers, ETag, Cache-Control, Content-Type), the same 304 for a
 * matching If-None-Match, the same access line and latency metric, and the same rate-limit counter.
 * Everything else goes to Fastify untouched: another method or route, a query string or an encoded
 * character, an Authorization header, a value L1 does not hold, a refused rate limit (the guard
 * answers the 429), and every request once the server is closing. It is not opened when CORS is on
 * (@fastify/cors adds headers to every answer): the route hook answers those reads then.
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

  /** Starts answering `reads` (until then every request goes to Fastify). */
  open(reads: readonly CachedRead[], counts: CachedReadCounts, parts: FrontDoorParts): void {
    this.parts = parts;
    this.security = Object.entries(parts.securityHeaders).flat();
    this.doors = reads.map((read) => ({
      prefix: routeParam(read.url).prefix,
      read,
      route: read.url,
      count: cachedReadCount(counts, read.url),
    }));
  }

  /** Shutdown began: Fastify answers (Connection: close, 503 for new requests). */
  close(): void {
    this.closing = true;
  }

  /** True when the front door took the request (answered it, or will once the rate limit decides). */
  private handle(req: IncomingMessage, res: ServerResponse, fallback: RequestListener): boolean {
    const parts = this.parts;
    if (parts === undefined || this.closing || req.method !== 'GET') return false;
    const headers = req.headers;
    if (headers.authorization !== undefined) return false;
    const url = req.url ?? '';
    const door = this.doorOf(url);
    if (door === undefined) return false;
    const param = url.slice(door.prefix.length);
    if (param.length === 0 || param.length > MAX_PARAM_LENGTH || /[/?%#]/.test(param)) return false;
    const value = door.read.peek(param);
    if (value === undefined) return false;
    const started = performance.now();
    const address = parts.clientAddress(req);
    const out = [REQUEST_ID_HEADER, resolveRequestId(headers[REQUEST_ID_HEADER]), ...this.security];
    const admitted = door.read.limit.admitRaw(address ?? 'unknown', out);
    if (admitted === true) {
      this.answer(door, req, res, value, out, address, started);
      return true;
    }
    if (admitted === false) return false;
    admitted.then(
      (ok) => (ok ? this.answer(door, req, res, value, out, address, started) : fallback(req, res)),
      () => fallback(req, res),
    );
    return true;
  }

  private doorOf(url: string): Door | undefined {
    for (const door of this.doors) if (url.startsWith(door.prefix)) return door;
    return undefined;
  }

  private answer(
    door: Door,
    req: IncomingMessage,
    res: ServerResponse,
    value: object,
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
    const body = jsonBodyOf(value);
    out.push('etag', body.etag, 'cache-control', 'no-cache');
    let status = 200;
    if (etagMatches(req.headers['if-none-match'], body.etag)) {
      status = 304;
      res.writeHead(304, out).end();
    } else {
      out.push('content-type', JSON_TYPE, 'content-length', body.length);
      res.writeHead(200, out).end(body.json);
    }
    door.count.answered++;
    door.count.beforeFastify++;
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
    parts.latency('GET', door.route, status, ms / 1000);
  }
}
