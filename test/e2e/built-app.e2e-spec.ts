import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SAMPLE_JWT_SECRET } from '@app/common';
import { repoRoot } from '../support/test-env.js';
import { freePort, spawnNode, type Spawned } from '../support/spawn-node.js';

const API = resolve(repoRoot, 'dist/apps/api/src/main.js');
const BUNDLE = resolve(repoRoot, 'dist/bundle/api.mjs');
const WORKER = resolve(repoRoot, 'dist/apps/worker/src/main.js');

/** OpenAPI documents served by each build of the API, compared once both have run. */
const documents = new Map<string, string>();

/** The compiled output (tsc + alias rewriting) and its bundle really start, serve and stop cleanly. */
describe('built API and worker', () => {
  beforeAll(() => {
    for (const file of [API, BUNDLE, WORKER])
      if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` (npm test does it)`);
  });

  describe.each([
    ['tsc output', API],
    ['bundle', BUNDLE],
  ])('API process (%s)', (build, entry) => {
    let api: Spawned;
    let base: string;

    beforeAll(async () => {
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      api = spawnNode(entry, { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' });
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
      const text = await (await fetch(`${base}/docs-json`)).text();
      expect((JSON.parse(text) as { openapi: string }).openapi).toMatch(/^3\./);
      documents.set(build, text);
    });

    it('reads the catalog through TypeORM and validates a body, naming the broken field', async () => {
      const list = await fetch(`${base}/api/v1/products?limit=1`);
      expect(list.status).toBe(200);
      expect(Array.isArray(((await list.json()) as { items: unknown[] }).items)).toBe(true);
      const bad = await fetch(`${base}/api/v1/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'not-an-email', password: 'long-enough-password', name: 'Built App' }),
      });
      expect(bad.status).toBe(400);
      expect(JSON.stringify(await bad.json())).toMatch(/email/);
    });

    it('writes JSON log lines carrying the request id', async () => {
      const probe = `built-app-probe-${build.replace(/\W/g, '-')}`;
      await fetch(`${base}/api/v1/does-not-exist`, { headers: { 'x-request-id': probe } });
      await api.waitForOutput(new RegExp(probe));
      const line = api
        .output()
        .split('\n')
        .find((l) => l.includes(probe))!;
      expect(JSON.parse(line)).toMatchObject({ requestId: probe });
    });

    it('shuts down cleanly on SIGTERM', async () => {
      api.child.kill('SIGTERM');
      const { code, signal } = await api.exit;
      expect(code === 0 || signal === 'SIGTERM').toBe(true);
    });
  });

  it('the bundle serves the same OpenAPI document as the tsc output (no class or DTO renamed)', () => {
    expect(documents.size).toBe(2);
    expect(documents.get('bundle')).toBe(documents.get('tsc output'));
  });

  it("the bundle is ASCII and loads no package behind the bundler's back", () => {
    const code = readFileSync(BUNDLE, 'utf8');
    // One non-ASCII character would make V8 hold the whole source as UTF-16 (twice the memory).
    expect(Buffer.byteLength(code, 'utf8')).toBe(code.length);
    // The bundle's own require() for Node built-ins is the only createRequire left.
    expect(code.match(/createRequire[\w$]*\(import\.meta\.url\)/g)).toHaveLength(1);
    expect(code).not.toMatch(/new Intl\.DateTimeFormat\(void 0|new Intl\.DateTimeFormat\(undefined/);
  });

  it("the bundle holds TypeORM's other drivers and libphonenumber-js, required only where they are used", () => {
    const code = readFileSync(BUNDLE, 'utf8');
    // Still bundled (a DataSource of another type, or @IsPhoneNumber, works as before)...
    expect(code).toMatch(/var require_MysqlDriver\s*=\s*__commonJS/);
    // ...but not required at the top of DriverFactory / IsPhoneNumber: evaluated on first use.
    expect(code).toMatch(/MysqlDriver_1\s*=\s*\{\s*get MysqlDriver\(\)\s*\{\s*return require_MysqlDriver\(\)\.MysqlDriver/);
    expect(code).toMatch(/max_1\s*=\s*\{\s*get parsePhoneNumber\(\)\s*\{\s*return require_max\(\)\.parsePhoneNumber/);
    expect(code).not.toMatch(/MysqlDriver_1\s*=\s*require_MysqlDriver\(\)/);
  });

  it.each([API, BUNDLE])('refuses to start with a message naming each invalid variable (%s)', async (entry) => {
    const api = spawnNode(entry, { DB_PRIMARY_URL: '', JWT_SECRET: 'short', PORT: 'x' });
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
