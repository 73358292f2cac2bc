import type { FastifyInstance } from 'fastify';
import type { Level, Logger } from 'pino';
import { accessLineWriter, type AccessFields, type AccessLineWriter } from './access-line.js';

/** Probes polled by orchestrators and scrapers: their successful calls are not worth a line each. */
export const QUIET_URLS: ReadonlySet<string> = new Set(['/health/live', '/metrics']);

/** 5xx at error, 4xx at warn, the rest at info. */
export function levelOf(status: number): Level {
  return status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
}

/**
 * One JSON line per response, after it is sent: requestId, method, url, client address, status
 * and time. 5xx is logged at error, 4xx at warn, the rest at info, so LOG_LEVEL=warn keeps the
 * failures and drops the traffic. Headers are not logged (no tokens or cookies in the logs).
 * The level check comes first, so a line the level drops costs nothing.
 *
 * Shared by the Fastify hooks below and the front door (http/front-door.ts), which answers some
 * requests before Fastify sees them: both write the same line.
 */
export class AccessLog {
  private readonly log: Logger;
  private readonly write: AccessLineWriter | undefined;

  constructor(logger: Logger) {
    // Its lines hold only the fields below (no body, no headers): the redaction of the root logger,
    // a walk of its paths on every line, has nothing to find there and is left out.
    this.log = logger.child({ context: 'HTTP' }, { redact: { paths: [] } });
    this.write = accessLineWriter(this.log);
  }

  completed(fields: AccessFields): void {
    const level = levelOf(fields.statusCode);
    if (!this.log.isLevelEnabled(level) || (fields.statusCode < 400 && QUIET_URLS.has(fields.url))) return;
    if (this.write !== undefined) this.write(level, fields);
    else {
      const { requestId, method, url, remoteAddress, statusCode, responseTime } = fields;
      this.log[level]({ requestId, req: { method, url, remoteAddress }, res: { statusCode }, responseTime }, 'request completed');
    }
  }

  /** The client gave up before its response. */
  aborted(requestId: string, method: string, url: string, remoteAddress: string | undefined): void {
    if (this.log.isLevelEnabled('warn')) this.log.warn({ requestId, req: { method, url, remoteAddress } }, 'request aborted');
  }
}

/** Milliseconds to one decimal, as the access line shows them. */
export function responseTimeOf(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** The access log of every response Fastify sends (and of requests aborted before one). */
export function registerAccessLog(fastify: FastifyInstance, logger: Logger): AccessLog {
  const access = new AccessLog(logger);
  fastify.addHook('onResponse', (request, reply, done) => {
    access.completed({
      requestId: request.id,
      method: request.method,
      url: request.url,
      remoteAddress: request.ip,
      statusCode: reply.statusCode,
      responseTime: responseTimeOf(reply.elapsedTime),
    });
    done();
  });
  fastify.addHook('onRequestAbort', (request, done) => {
    access.aborted(request.id, request.method, request.url, request.ip);
    done();
  });
  return access;
}
