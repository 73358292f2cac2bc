import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { randomClientIp, registerUser } from '../support/auth.js';
import { createTestApp } from '../support/test-app.js';
import { repoRoot } from '../support/test-env.js';

const CLI = resolve(repoRoot, 'dist/apps/cli/src/create-admin.js');

/** Runs the built CLI with this test run's environment (its database and Redis prefix). */
async function runCli(args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: repoRoot,
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  return { code, output };
}

/** `npm run admin:create` (the built CLI): creates or promotes, idempotently. */
describe('identity: admin CLI', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error('dist/ is missing: run `npm run build` (npm test does it)');
    app = await createTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  const login = (email: string, password: string) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'x-forwarded-for': randomClientIp() },
      payload: { email, password },
    });

  it('creates an admin who can sign in and use admin routes; a second run is a no-op', async () => {
    const email = `${randomUUID()}@example.com`;
    const first = await runCli(['--email', email.toUpperCase(), '--password', 'admin-password-1']);
    expect(first.output).toMatch(/admin created/);
    expect(first.code).toBe(0);
    const res = await login(email, 'admin-password-1');
    expect(res.statusCode).toBe(200);
    expect(res.json().user).toMatchObject({ email, role: 'admin' });
    const list = await app.inject({ method: 'GET', url: '/api/v1/users', headers: { authorization: `Bearer ${res.json().accessToken}` } });
    expect(list.statusCode).toBe(200);

    const again = await runCli(['--email', email, '--password', 'admin-password-1']);
    expect(again.code).toBe(0);
    expect(again.output).toMatch(/promoted/);
  });

  it('promotes an existing customer (live tokens get admin rights at once), password unchanged', async () => {
    const u = await registerUser(app);
    const run = await runCli(['--email', u.email, '--password', 'ignored-password']);
    expect(run.code).toBe(0);
    const list = await app.inject({ method: 'GET', url: '/api/v1/users', headers: { authorization: `Bearer ${u.accessToken}` } });
    expect(list.statusCode).toBe(200);
    expect((await login(u.email, u.password)).json().user.role).toBe('admin');
  });

  it('refuses bad arguments with exit code 2', async () => {
    const run = await runCli(['--email', 'nope', '--password', 'short']);
    expect(run.code).toBe(2);
    expect(run.output).toMatch(/--email/);
    expect(run.output).toMatch(/--password/);
  });
});
