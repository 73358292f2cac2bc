import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DynamicModule, INestApplication, LoggerService } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createErrorSerializer } from '@app/common';
import { QUIET_URLS, levelOf } from './access-log.hook.js';

/** The raw request after the hook below: Fastify's request id copied onto it. */
type IdentifiedRequest = IncomingMessage & { id?: string };

/**
 * LOG_REQUEST_CONTEXT=nestjs-pino: the ecosystem's logger. nestjs-pino runs pino-http as Nest
 * middleware, which writes the access line, and binds a per-request child logger in
 * AsyncLocalStorage, so every line logged while a request runs (any `new Logger(ctx)`) carries its
 * `requestId` without the code passing it. The lines keep the explicit mode's shape: the same root
 * logger (redaction, error serializer), `requestId` = X-Request-ID, `req` without headers, 4xx at
 * warn and 5xx at error, successful probe calls not logged.
 *
 * Loaded only when chosen (dynamic import), so the default configuration does not pay for it.
 */
export async function nestjsPinoModule(
  fastify: FastifyInstance,
  logger: Logger,
  secrets: readonly (string | null | undefined)[],
): Promise<DynamicModule> {
  // pino-http sees Node's request, not Fastify's: give it Fastify's id (from X-Request-ID or
  // generated), which the response header and the exception filter also use.
  fastify.addHook('onRequest', (request, _reply, done) => {
    (request.raw as IdentifiedRequest).id = request.id;
    done();
  });
  const { LoggerModule } = await import('nestjs-pino');
  return LoggerModule.forRoot({
    pinoHttp: {
      logger: logger.child({ context: 'HTTP' }),
      genReqId: (req: IdentifiedRequest) => req.id ?? '',
      // pino-http runs its error serializer after pino's standard one, which copies every field an
      // error carries (SQL parameters, driver details) and loses its type: its own key keeps it
      // away from `err`, which the exception filter writes through the root logger's serializer.
      customAttributeKeys: { reqId: 'requestId', err: 'responseError' },
      customLogLevel: (req: IncomingMessage, res: ServerResponse, error?: Error) => {
        if (error) return 'error';
        return res.statusCode < 400 && QUIET_URLS.has(req.url ?? '') ? 'silent' : levelOf(res.statusCode);
      },
      quietReqLogger: true,
      customSuccessMessage: () => 'request completed',
      customErrorMessage: () => 'request completed',
      serializers: {
        responseError: createErrorSerializer(secrets),
        req: (req: { method: string; url: string; remoteAddress: string }) => ({
          method: req.method,
          url: req.url,
          remoteAddress: req.remoteAddress,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    },
  });
}

/** nestjs-pino's LoggerService, for app.useLogger. */
export async function nestjsPinoLogger(app: INestApplication): Promise<LoggerService> {
  const { Logger: NestjsPinoLogger } = await import('nestjs-pino');
  return app.get(NestjsPinoLogger);
}
