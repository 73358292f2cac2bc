import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Level, Logger } from 'pino';
import { accessLineWriter } from './access-line.js';

/** Probes polled by orchestrators and scrapers: their successful calls are not worth a line each. */
export const QUIET_URLS: ReadonlySet<string> = new Set(['/health/live', '/metrics']);

function requestFields(request: FastifyRequest): { requestId: string; req: { method: string; url: string; remoteAddress: string } } {
  return { requestId: request.id, req: { method: request.method, url: request.url, remoteAddress: request.ip } };
}

/** 5xx at error, 4xx at warn, the rest at info. */
export function levelOf(status: number): Level {
  return status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
}

/**
 * One JSON line per response, after it is sent: requestId, method, url, client address, status
 * and time. 5xx is logged at error, 4xx at warn, the rest at info, so LOG_LEVEL=warn keeps the
 * failures and drops the traffic. Headers are not logged (no tokens or cookies in the logs).
 *
 * A request the client gave up on before its response gets a `request aborted` line at warn.
 *
 * Plain Fastify hooks: the level check comes first, so a line the level drops costs nothing.
 */
export function registerAccessLog(fastify: FastifyInstance, logger: Logger): void {
  // Its lines hold only the fields below (no body, no headers): the redaction of the root logger,
  // a walk of its paths on every line, has nothing to find there and is left out.
  const log = logger.child({ context: 'HTTP' }, { redact: { paths: [] } });
  const write = accessLineWriter(log);
  fastify.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    const level = levelOf(status);
    if (log.isLevelEnabled(level) && !(status < 400 && QUIET_URLS.has(request.url))) {
      const responseTime = Math.round(reply.elapsedTime * 10) / 10;
      if (write !== undefined)
        write(level, {
          requestId: request.id,
          method: request.method,
          url: request.url,
          remoteAddress: request.ip,
          statusCode: status,
          responseTime,
        });
      else log[level]({ ...requestFields(request), res: { statusCode: status }, responseTime }, 'request completed');
    }
    done();
  });
  fastify.addHook('onRequestAbort', (request, done) => {
    if (log.isLevelEnabled('warn')) {
      log.warn(requestFields(request), 'request aborted');
    }
    done();
  });
}
