/**
 * The OpenAPI document served at /docs-json passes `redocly lint` with the recommended rules
 * (redocly.yaml): no error and no warning. Each problem is printed with its rule and location.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createTestApp } from '../support/test-app.js';
import { repoRoot } from '../support/test-env.js';

const run = promisify(execFile);

interface LintProblem {
  ruleId: string;
  severity: 'error' | 'warn';
  message: string;
  location?: { pointer?: string }[];
}

describe('OpenAPI document: redocly lint', () => {
  let app: NestFastifyApplication;
  let dir: string;

  beforeAll(async () => {
    app = await createTestApp();
    dir = mkdtempSync(join(tmpdir(), 'openapi-lint-'));
  });

  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has no error and no warning under the recommended rules', async () => {
    const res = await app.inject({ method: 'GET', url: '/docs-json' });
    expect(res.statusCode).toBe(200);
    const file = join(dir, 'openapi.json');
    writeFileSync(file, res.body);

    const cli = resolve(repoRoot, 'node_modules/@redocly/cli/bin/cli.js');
    const args = [cli, 'lint', file, '--config', resolve(repoRoot, 'redocly.yaml'), '--format', 'json'];
    // redocly exits 1 when it finds errors; the JSON report on stdout says what they are either way.
    const { stdout } = await run(process.execPath, args, {
      cwd: repoRoot,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      maxBuffer: 64 * 1024 * 1024,
    }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
    const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as {
      totals: { errors: number; warnings: number };
      problems: LintProblem[];
    };
    const problems = report.problems.map(
      (p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location?.map((l) => l.pointer).join(', ') ?? '?'}`,
    );
    if (problems.length) console.error(`redocly lint found ${problems.length} problem(s):\n${problems.join('\n')}`);
    expect(problems).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });
});
