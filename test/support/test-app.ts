import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig, type AppConfig } from '@app/common';
import { createApp, type CreateAppOptions } from '../../apps/api/src/app.factory.js';

/** Config of this test run (database and Redis prefix from the global setup), with overrides. */
export function testConfig(overrides: Record<string, string> = {}): AppConfig {
  return loadConfig({ ...process.env, ...overrides });
}

/** A fully configured API instance, driven in-process with `app.inject()`. */
export async function createTestApp(overrides: Record<string, string> = {}, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const app = await createApp(testConfig(overrides), options);
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
