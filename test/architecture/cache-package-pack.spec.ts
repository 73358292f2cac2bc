import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../support/test-env.js';

/*
 * scripts/cache-package-check.sh (npm run cache:pack-check): libs/cache is built and packed, the
 * tarball is installed into a fresh project, and the package is used from there against Redis.
 * About 40 s on an idle machine (two tsc runs, two npm installs from the npm cache).
 */

const run = promisify(execFile);

describe('the published package @nest-commerce/cache (npm pack, install, use)', () => {
  it('installs from its tarball and works without the monorepo', async () => {
    const { stdout } = await run('bash', [join(repoRoot, 'scripts/cache-package-check.sh')], {
      cwd: repoRoot,
      env: { ...process.env, NODE_OPTIONS: '' },
      maxBuffer: 16 * 1024 * 1024,
      timeout: 280_000,
    }).catch((err: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`cache-package-check.sh failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
    });
    expect(stdout).toMatch(/nest-commerce-cache-0\.1\.0\.tgz: \d+ files/);
    expect(stdout).toContain('core: getOrLoad against');
    expect(stdout).toContain('core: @nest-commerce/cache/nest needs its optional peer');
    expect(stdout).toContain('core: @nest-commerce/cache/keyv needs its optional peer');
    expect(stdout).toContain('keyv: cache-manager on the libs/cache store ok');
    expect(stdout).toContain('types: consumer.ts');
    expect(stdout).toContain('types: nest-consumer.ts');
    expect(stdout).toContain('cache package check passed');
  }, 300_000);
});
