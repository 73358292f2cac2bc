// Prints the API's OpenAPI document (GET /docs-json of the built app, not listening) as JSON on
// stdout. Plain Node on purpose: under tsx, the CommonJS @nestjs/throttler would get its own copy of
// @nestjs/core (tsx compiles required ESM again), and Nest could not inject its Reflector.
import 'reflect-metadata';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { loadConfig } = await import(resolve(ROOT, 'dist/libs/common/src/index.js'));
const { createApp } = await import(resolve(ROOT, 'dist/apps/api/src/app.factory.js'));
const app = await createApp(loadConfig({ ...process.env, LOG_LEVEL: 'silent', SWAGGER_ENABLED: 'true' }));
try {
  const res = await app.inject({ method: 'GET', url: '/docs-json' });
  if (res.statusCode !== 200) throw new Error(`GET /docs-json answered ${res.statusCode}`);
  process.stdout.write(res.body);
} finally {
  await app.close();
}
