import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { InjectOptions, Response as InjectResponse } from 'light-my-request';
import { loadConfig, type AppConfig } from '@app/common';
import { createApp, type CreateAppOptions } from '../../apps/api/src/app.factory.js';
import { recordExchange } from './openapi-conformance.js';

/** Config of this test run (database and Redis prefix from the global setup), with overrides. */
export function testConfig(overrides: Record<string, string> = {}): AppConfig {
  return loadConfig({ ...process.env, ...overrides });
}

/**
 * A fully configured API instance, driven in-process with `app.inject()`. Every injected request
 * and its answer are checked against the committed openapi.json (test/support/openapi-conformance.ts).
 */
export async function createTestApp(
  overrides: Record<string, string> = {},
  options: CreateAppOptions = {},
): Promise<NestFastifyApplication> {
  const app = await createApp(testConfig(overrides), options);
  await app.getHttpAdapter().getInstance().ready();
  checkInjectedExchanges(app);
  return app;
}

/** The raw body of an injected request, as light-my-request sends it. */
function requestBody(options: InjectOptions): string | undefined {
  const payload = options.payload ?? options.body;
  if (payload === undefined || payload === null) return undefined;
  if (typeof payload === 'string') return payload;
  if (Buffer.isBuffer(payload)) return payload.toString('utf8');
  if (typeof (payload as { pipe?: unknown }).pipe === 'function') return undefined;
  return JSON.stringify(payload);
}

/** An inject() url or path: a string, or its parts (`{ pathname, query, ... }`). */
function urlText(url: InjectOptions['url']): string | undefined {
  return typeof url === 'object' ? url.pathname : url;
}

function checkInjectedExchanges(app: NestFastifyApplication): void {
  // The Nest application is a proxy that refuses new properties: its inject() goes through the adapter.
  const adapter = app.getHttpAdapter() as unknown as { inject: (options?: InjectOptions | string) => unknown };
  const inject = adapter.inject.bind(adapter);
  const wrapped = (options?: InjectOptions | string): unknown => {
    if (options === undefined) return inject();
    const sent = typeof options === 'string' ? { url: options } : options;
    return (inject(options) as Promise<InjectResponse>).then((res) => {
      const req = res.raw.req;
      recordExchange({
        method: req.method ?? String(sent.method ?? 'GET'),
        url: req.url ?? urlText(sent.url) ?? urlText(sent.path) ?? '/',
        requestHeaders: req.headers,
        requestBody: requestBody(sent),
        statusCode: res.statusCode,
        headers: res.headers,
        body: res.body,
      });
      return res;
    });
  };
  adapter.inject = wrapped;
}
