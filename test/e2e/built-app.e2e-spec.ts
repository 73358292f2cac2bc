import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { SAMPLE_JWT_SECRET } from '@app/common';
import { repoRoot } from '../support/test-env.js';
import { freePort, spawnNode, type Spawned } from '../support/spawn-node.js';

const API = resolve(repoRoot, 'dist/apps/api/src/main.js');
const WORKER = resolve(repoRoot, 'dist/apps/worker/src/main.js');

/** The compiled output (tsc + alias rewriting) really starts, serves and stops cleanly. */
describe('built API and worker', () => {
  beforeAll(() => {
    if (!existsSync(API) || !existsSync(WORKER)) throw new Error('dist/ is missing: run `npm run build` (npm test does it)');
  });

  describe('API process', () => {
    let api: Spawned;
    let base: string;

    beforeAll(async () => {
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      api = spawnNode(API, { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' });
      const deadline = Date.now() + 30_000;
      for (;;) {
        try {
          if ((await fetch(`${base}/health/ready`)).status === 200) break;
        } catch {
          // not listening yet
        }
        if (api.child.exitCode !== null || Date.now() > deadline) throw new Error(`API did not become ready:\n${api.output()}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    });
    afterAll(() => {
      if (api.child.exitCode === null) api.child.kill('SIGKILL');
    });

    it('is ready with primary, replica and Redis up', async () => {
      const body = (await (await fetch(`${base}/health/ready`)).json()) as { details: Record<string, { status: string }> };
      expect(body.details.postgresPrimary.status).toBe('up');
      expect(body.details.postgresReplica.status).toBe('up');
      expect(body.details.redis.status).toBe('up');
    });

    it('renders Swagger UI and serves OpenAPI 3 JSON', async () => {
      const ui = await fetch(`${base}/docs`);
      expect(ui.status).toBe(200);
      expect(await ui.text()).toMatch(/swagger-ui/i);
      const doc = (await (await fetch(`${base}/docs-json`)).json()) as { openapi: string };
      expect(doc.openapi).toMatch(/^3\./);
    });

    it('writes JSON log lines carrying the request id', async () => {
      await fetch(`${base}/api/v1/does-not-exist`, { headers: { 'x-request-id': 'built-app-probe-1' } });
      await api.waitForOutput(/built-app-probe-1/);
      const line = api
        .output()
        .split('\n')
        .find((l) => l.includes('built-app-probe-1'))!;
      expect(JSON.parse(line)).toMatchObject({ requestId: 'built-app-probe-1' });
    });

    it('shuts down cleanly on SIGTERM', async () => {
      api.child.kill('SIGTERM');
      const { code, signal } = await api.exit;
      expect(code === 0 || signal === 'SIGTERM').toBe(true);
    });
  });

  it('refuses to start with a message naming each invalid variable', async () => {
    const api = spawnNode(API, { DB_PRIMARY_URL: '', JWT_SECRET: 'short', PORT: 'x' });
    const { code } = await api.exit;
    expect(code).toBe(1);
    const out = api.output();
    expect(out).toMatch(/DB_PRIMARY_URL: is required/);
    expect(out).toMatch(/JWT_SECRET: must be at least 32 characters/);
    expect(out).toMatch(/PORT: /);
    expect(out).not.toMatch(/\n\s+at /);
  });

  it('refuses the sample JWT secret outside development and test, and never prints a refused value', async () => {
    const api = spawnNode(API, {
      NODE_ENV: 'production',
      JWT_SECRET: SAMPLE_JWT_SECRET,
      REDIS_URL: 'http://:redis-pass-1234@127.0.0.1:6379/0',
      CART_TOKEN_SECRET: 'short-cart-secret',
    });
    const { code } = await api.exit;
    expect(code).toBe(1);
    const out = api.output();
    expect(out).toMatch(/JWT_SECRET: is the sample value/);
    expect(out).toMatch(/REDIS_URL: /);
    expect(out).toMatch(/CART_TOKEN_SECRET: /);
    for (const secret of [SAMPLE_JWT_SECRET, 'redis-pass-1234', 'short-cart-secret']) expect(out).not.toContain(secret);
  });

  it('the worker boots, reports ready and stops cleanly', async () => {
    const worker = spawnNode(WORKER, { LOG_LEVEL: 'info' });
    try {
      await worker.waitForOutput(/worker ready/);
      worker.child.kill('SIGTERM');
      const { code, signal } = await worker.exit;
      expect(code === 0 || signal === 'SIGTERM').toBe(true);
    } finally {
      if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    }
  });
});
