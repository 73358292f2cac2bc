import 'reflect-metadata';
import { ConfigError, installShutdownTimeout, loadConfig, loadEnvFile, startIdleMemoryRelease } from '@app/common';
import { createApp } from './app.factory.js';

async function bootstrap(): Promise<void> {
  loadEnvFile();
  const config = loadConfig();
  const app = await createApp(config);
  installShutdownTimeout(config.app.shutdownTimeoutMs);
  await app.listen({ port: config.app.port, host: config.app.host });
  startIdleMemoryRelease(config);
}

bootstrap().catch((error: unknown) => {
  // A config error names each variable; anything else is printed once and the process exits.
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
