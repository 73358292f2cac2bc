import { Logger, RequestMethod, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DestinationStream } from 'pino';
import { PinoLoggerService, configSecrets, createRootLogger, type AppConfig } from '@app/common';
import { AppModule } from './app.module.js';
import { setupSwagger } from './docs/swagger.setup.js';
import { catalogCachedReads } from './catalog/http/catalog-cached-reads.js';
import { registerBodyParsers, registerRouteBodyLimits } from './http/body-parsers.js';
import { registerCachedReads } from './http/cached-reads.js';
import { clientAddressOf } from './http/client-address.js';
import { cachedReadRoute, FrontDoor } from './http/front-door.js';
import { guestCartAddFrontRoute, guestCartFrontRoute } from './cart/http/guest-cart-front-route.js';
import { registerDrainOnClose } from './http/drain-on-close.hooks.js';
import { frameworkErrorHandler } from './http/framework-errors.js';
import { generateRequestId, registerRequestIdHeader } from './http/request-id.hooks.js';
import { registerNoStoreByDefault, registerSecurityHeaders } from './http/security-headers.js';
import { httpServerOptions } from './http/server-options.js';
import { createValidationPipe } from './http/validation.pipe.js';
import { registerAccessLog } from './logging/access-log.hook.js';
import { nestjsPinoLogger, nestjsPinoModule } from './logging/nestjs-pino.logging.js';
import { registerHttpMetrics } from './metrics/http-metrics.hook.js';
import { MetricsRegistry } from './metrics/metrics.registry.js';
import { RouteRateLimit } from './throttling/route-rate-limit.js';
import { THROTTLER_OPTIONS_TOKEN, THROTTLER_STORAGE_TOKEN } from './throttling/throttler-package.js';

/** Every route but the probes and /metrics is under it. */
export const API_PREFIX = 'api/v1';

export interface CreateAppOptions {
  /** Extra modules mounted next to the API (probe routes, for instance). */
  imports?: DynamicModule['imports'];
  /** Where log lines go instead of stdout (tests read them). */
  logDestination?: DestinationStream;
}

/** Builds the configured API (main.ts, and callers that run instances in-process). */
export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const frontDoor = new FrontDoor();
  const adapter = new FastifyAdapter({
    // The HTTP server, with the cached reads answered before Fastify (see front-door.ts).
    serverFactory: frontDoor.serverFactory,
    genReqId: generateRequestId,
    // X-Forwarded-For is believed only from the configured proxies: otherwise any client could pick
    // its own IP and step around per-IP rate limits.
    // (A number means a hop count; Fastify supports it at runtime though its type omits it.)
    trustProxy: config.app.trustProxy as boolean | string | string[],
    // Body size limit and socket timeouts (see server-options.ts).
    ...httpServerOptions(config),
    // Idle keep-alive sockets are closed on shutdown; requests in flight still finish.
    forceCloseConnections: 'idle',
    // URLs the router refuses (bad percent-encoding, over-long path parameter) get the contract's
    // error body and X-Request-ID too.
    frameworkErrors: frameworkErrorHandler,
    // The API has no Nest middleware of its own (its per-request steps are Fastify hooks), so
    // @fastify/middie, which Nest registers otherwise, would only add a step to every request. It is
    // kept for nestjs-pino (pino-http is a middleware). A Nest middleware added later fails at
    // start-up (no `use` on the instance) until this changes.
    skipMiddie: config.app.logRequestContext !== 'nestjs-pino',
  });
  const logger = createRootLogger({
    level: config.app.logLevel,
    bufferBytes: config.app.logBufferBytes,
    secrets: configSecrets(config),
    destination: options.logDestination,
  });
  const fastify = adapter.getInstance();
  registerRequestIdHeader(fastify);
  registerDrainOnClose(fastify);
  fastify.addHook('preClose', (done) => {
    frontDoor.close();
    done();
  });
  const requestContext =
    config.app.logRequestContext === 'nestjs-pino' ? await nestjsPinoModule(fastify, logger, configSecrets(config)) : undefined;
  const accessLog = requestContext ? undefined : registerAccessLog(fastify, logger);
  registerRouteBodyLimits(fastify);
  registerBodyParsers(fastify);
  registerNoStoreByDefault(fastify);
  const security = registerSecurityHeaders(fastify);

  // bodyParser: false: the body parsers above replace Nest's (limits on structure and strings).
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, [...(requestContext ? [requestContext] : []), ...(options.imports ?? [])]),
    adapter,
    {
      bufferLogs: true,
      abortOnError: false,
      bodyParser: false,
    },
  );
  app.useLogger(requestContext ? await nestjsPinoLogger(app) : new PinoLoggerService(logger));
  app.flushLogs();
  app.setGlobalPrefix(API_PREFIX, {
    exclude: [
      { path: 'health/live', method: RequestMethod.GET },
      { path: 'health/ready', method: RequestMethod.GET },
      { path: 'metrics', method: RequestMethod.GET },
    ],
  });
  const metrics = app.get(MetricsRegistry);
  const latency = registerHttpMetrics(fastify, metrics);
  // Nest registers its routes in init(): the hooks are attached to them then.
  const limitOf = RouteRateLimit.resolver(app.get(THROTTLER_OPTIONS_TOKEN), app.get(THROTTLER_STORAGE_TOKEN));
  const cachedReads = catalogCachedReads(app, API_PREFIX, limitOf);
  registerCachedReads(fastify, cachedReads, metrics.cachedReads);
  // Not with CORS (its headers come from @fastify/cors's hook) nor with nestjs-pino (pino-http must
  // see every request): Fastify answers everything then (the cached reads from their route hook).
  if (accessLog && !config.app.corsOrigins.length) {
    const clientAddress = clientAddressOf(config.app.trustProxy);
    const cart = [guestCartFrontRoute(app, API_PREFIX, limitOf), guestCartAddFrontRoute(app, API_PREFIX, limitOf, clientAddress)];
    frontDoor.open([...cachedReads.map((read) => cachedReadRoute(read, metrics.cachedReads)), ...cart.filter((r) => r !== null)], {
      securityHeaders: security,
      accessLog,
      latency,
      clientAddress,
      answered: metrics.frontDoor,
      // The exception filter's logger context.
      errorLog: new Logger('HTTP'),
    });
    frontDoor.registerReplay(fastify);
  }
  app.useGlobalPipes(createValidationPipe());
  if (config.app.corsOrigins.length)
    app.enableCors({ origin: config.app.corsOrigins, exposedHeaders: ['X-Request-ID', 'X-Cart-Token', 'ETag', 'Retry-After'] });
  app.enableShutdownHooks();
  if (config.app.swaggerEnabled) setupSwagger(app);
  await app.init();
  return app;
}
