import type { Params } from 'nestjs-pino';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino, { type DestinationStream } from 'pino';
import type { AppConfig } from '@app/common';

const FLUSH_EVERY_MS = 250;
let buffered: { bytes: number; stream: DestinationStream } | undefined;

/**
 * stdout for the API's log lines. With a buffer, lines are collected and written in batches (one
 * write syscall per ~bufferBytes instead of one per line: a synchronous write per access log line
 * was a large share of a request's CPU), flushed at least every FLUSH_EVERY_MS and synchronously
 * at process exit (pino registers that for non-sync destinations; it also runs after an uncaught
 * exception). One destination per process: every app instance (tests build several) shares it.
 */
function destination(bufferBytes: number): DestinationStream | undefined {
  if (bufferBytes <= 0) return undefined; // pino's default: synchronous stdout
  if (buffered?.bytes === bufferBytes) return buffered.stream;
  const stream = pino.destination({ dest: 1, sync: false, minLength: bufferBytes });
  // minLength alone would hold the last lines of a quiet period until more arrive.
  setInterval(() => stream.flush(), FLUSH_EVERY_MS).unref();
  buffered = { bytes: bufferBytes, stream };
  return stream;
}

// pino-http skips falsy bindings; its type only says `object`.
const NO_PROPS = null as unknown as object;

const requestIdOf = (req: IncomingMessage): string | undefined => (req as IncomingMessage & { id?: string }).id;

/** JSON logs through pino; every line of a request carries its requestId. */
export function loggerOptions(config: AppConfig): Params {
  const options: Params['pinoHttp'] = {
    level: config.app.logLevel,
    genReqId: (req: IncomingMessage) => requestIdOf(req) ?? 'unknown',
    // Carried by the request's child logger, so every line logged while serving it has the id.
    // pino-http calls this again once the response has gone out, only to re-check that the
    // bindings are there (a stringify + regex per request): the child made at the start already
    // carries the id, so that second call returns nothing. (Not `res.log`: middie sets it first.)
    customProps: (req: IncomingMessage, res: ServerResponse) => (res.headersSent ? NO_PROPS : { requestId: requestIdOf(req) }),
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-cart-token"]'], censor: '[redacted]' },
    serializers: {
      req: (req: { method: string; url: string; remoteAddress?: string }) => ({ method: req.method, url: req.url, remoteAddress: req.remoteAddress }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    autoLogging: { ignore: (req) => req.url === '/health/live' || req.url === '/metrics' },
  };
  const stream = destination(config.app.logBufferBytes ?? 0);
  return { pinoHttp: stream ? [options, stream] : options };
}
