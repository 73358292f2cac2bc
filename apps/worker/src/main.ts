import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import {
  ConfigError,
  PinoLoggerService,
  configSecrets,
  createRootLogger,
  installShutdownTimeout,
  loadConfig,
  loadEnvFile,
  startIdleMemoryRelease,
} from '@app/common';
import { WorkerModule } from './worker.module.js';

/** Standalone Nest app: the outbox relay, queue processors and schedules, on the API's domain modules. */
async function bootstrap(): Promise<void> {
  loadEnvFile();
  const config = loadConfig();
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true, abortOnError: false });
  app.useLogger(
    new PinoLoggerService(
      createRootLogger({ level: config.app.logLevel, bufferBytes: config.app.logBufferBytes, secrets: configSecrets(config) }),
    ),
  );
  app.flushLogs();
  // SIGTERM/SIGINT close the context: providers' shutdown hooks drain and close connections.
  app.enableShutdownHooks();
  installShutdownTimeout(config.app.shutdownTimeoutMs);
  await app.init();
  startIdleMemoryRelease(config);
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
