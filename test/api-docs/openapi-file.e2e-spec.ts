/**
 * The committed openapi.json is the document the API serves at /docs-json, byte for byte (same
 * pretty printing and key order as `npm run openapi`), and test/support/api-types.ts was generated
 * from it: a change to a route, DTO or decorator must come with `npm run openapi`.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import openapiTS, { astToString } from 'openapi-typescript';
import { stableJson } from '../../apps/api/src/docs/stable-json.js';
import { createTestApp } from '../support/test-app.js';
import { repoRoot } from '../support/test-env.js';

const STALE = 'openapi.json is out of date: run npm run openapi and commit the result';

describe('committed OpenAPI document', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp();
  });

  afterAll(async () => {
    await app.close();
  });

  it('openapi.json equals the live /docs-json', async () => {
    const res = await app.inject({ method: 'GET', url: '/docs-json' });
    expect(res.statusCode).toBe(200);
    const live = stableJson(res.json());
    const committed = readFileSync(resolve(repoRoot, 'openapi.json'), 'utf8');
    if (committed !== live) {
      const a = committed.split('\n');
      const b = live.split('\n');
      const line = a.findIndex((l, i) => l !== b[i]);
      throw new Error(`${STALE}\nfirst difference at line ${line + 1}:\n  committed: ${a[line]}\n  live:      ${b[line]}`);
    }
  });

  it('test/support/api-types.ts was generated from openapi.json', async () => {
    const committed = readFileSync(resolve(repoRoot, 'test/support/api-types.ts'), 'utf8');
    const generated = astToString(
      await openapiTS(JSON.parse(readFileSync(resolve(repoRoot, 'openapi.json'), 'utf8')), { alphabetize: true }),
    );
    if (!committed.endsWith(generated))
      throw new Error('test/support/api-types.ts is out of date: run npm run openapi and commit the result');
  });
});
