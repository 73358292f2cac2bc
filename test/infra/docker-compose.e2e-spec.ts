import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Validates docker-compose.yml with the real Compose parser (`docker compose config`, or the
// Debian docker-compose v1, which needs no engine). scripts/ensure-tools.sh installs it if missing.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');
const APP_SERVICES = ['postgres-primary', 'postgres-replica', 'redis', 'api', 'worker'];
const DB_DEPENDENCIES = ['postgres-primary', 'postgres-replica', 'redis'];

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

let compose: string[] = [];
let work = '';
let emptyEnvFile = '';

function tryRun(cmd: string[]): boolean {
  try {
    execFileSync(cmd[0], [...cmd.slice(1), 'version'], { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

/** Runs the validator. The env is explicit, and --env-file points at an empty file so a
 *  developer's .env cannot change the outcome. */
function run(args: string[], env: Record<string, string> = { JWT_SECRET: 'x'.repeat(32) }): Promise<Result> {
  const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
  const [cmd, ...pre] = compose;
  return new Promise((resolve) => {
    execFile(
      cmd,
      [...pre, '--env-file', emptyEnvFile, '--project-directory', ROOT, ...args],
      { cwd: ROOT, env: childEnv, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The block under a chain of YAML mapping keys in Compose's normalised (block-style) output.
 *  A sequence may sit at its key's own indentation ("test:\n- CMD"), so "- " lines there belong to it. */
function section(yaml: string, path: string[]): string {
  let lines = yaml.split('\n');
  for (const key of path) {
    const indents = lines.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length);
    const top = Math.min(...indents);
    const at = lines.findIndex((l) => l.length - l.trimStart().length === top && l.trim() === `${key}:`);
    if (at < 0) return '';
    const body: string[] = [];
    for (const line of lines.slice(at + 1)) {
      const indent = line.length - line.trimStart().length;
      if (line.trim() !== '' && (indent < top || (indent === top && !line.trimStart().startsWith('- ')))) break;
      body.push(line);
    }
    lines = body;
  }
  return lines.join('\n');
}

describe('docker-compose.yml', () => {
  let config: Result;

  beforeAll(async () => {
    if (!tryRun(['docker', 'compose']) && !tryRun(['docker-compose'])) {
      execFileSync('bash', [join(ROOT, 'scripts/ensure-tools.sh')], { stdio: 'inherit', timeout: 300_000 });
    }
    compose = tryRun(['docker', 'compose']) ? ['docker', 'compose'] : ['docker-compose'];
    work = mkdtempSync(join(tmpdir(), 'compose-spec-'));
    emptyEnvFile = join(work, 'empty.env');
    writeFileSync(emptyEnvFile, '');
    config = await run(['-f', COMPOSE_FILE, 'config']);
  }, 300_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('is valid', () => {
    expect(config.stderr).not.toMatch(/error/i);
    expect(config.code).toBe(0);
  });

  it('declares the five services, and the Redis UI under --profile tools', async () => {
    const plain = await run(['-f', COMPOSE_FILE, 'config', '--services']);
    expect(plain.code).toBe(0);
    expect(plain.stdout.split('\n')).toEqual(expect.arrayContaining(APP_SERVICES));

    const tools = await run(['-f', COMPOSE_FILE, '--profile', 'tools', 'config', '--services']);
    expect(tools.code).toBe(0);
    expect(tools.stdout.split('\n')).toEqual(expect.arrayContaining([...APP_SERVICES, 'redis-commander']));
    expect(section(config.stdout, ['services', 'redis-commander', 'profiles'])).toMatch(/tools/);
  });

  it('gives every service a healthcheck', () => {
    for (const service of APP_SERVICES) {
      expect({ service, test: section(config.stdout, ['services', service, 'healthcheck', 'test']) }).toEqual({
        service,
        test: expect.stringMatching(/\S/),
      });
    }
  });

  it('starts api and worker only after healthy databases and Redis', () => {
    for (const service of ['api', 'worker']) {
      const dependsOn = section(config.stdout, ['services', service, 'depends_on']);
      for (const dependency of DB_DEPENDENCIES) {
        expect({ service, dependency, block: section(dependsOn, [dependency]) }).toEqual({
          service,
          dependency,
          block: expect.stringMatching(/condition: service_healthy/),
        });
      }
    }
    expect(section(config.stdout, ['services', 'postgres-replica', 'depends_on', 'postgres-primary'])).toMatch(
      /condition: service_healthy/,
    );
  });

  it('runs Redis with its config file, which turns AOF on, and a password', () => {
    const redis = section(config.stdout, ['services', 'redis']);
    expect(redis).toMatch(/docker\/redis\/redis\.conf:\/usr\/local\/etc\/redis\/redis\.conf/);
    expect(section(redis, ['command'])).toMatch(/\/usr\/local\/etc\/redis\/redis\.conf[\s\S]*--requirepass/);
    const conf = readFileSync(join(ROOT, 'docker/redis/redis.conf'), 'utf8');
    expect(conf).toMatch(/^appendonly yes$/m);
    expect(conf).toMatch(/^appendfsync everysec$/m);
    // Nothing is evicted (carts, limits, locks and queues carry TTLs too); the limit comes from REDIS_MAXMEMORY.
    expect(conf).toMatch(/^maxmemory-policy noeviction$/m);
    expect(section(redis, ['command'])).toMatch(/--maxmemory[\s\S]*512mb/);
  });

  it('passes interpolated settings to the app containers', async () => {
    const custom = await run(['-f', COMPOSE_FILE, 'config'], {
      JWT_SECRET: 's'.repeat(40),
      POSTGRES_PASSWORD: 'pgpw',
      REDIS_PASSWORD: 'rdpw',
      API_PORT: '3999',
    });
    expect(custom.code).toBe(0);
    const api = section(custom.stdout, ['services', 'api']);
    expect(api).toMatch(/DB_PRIMARY_URL: postgres:\/\/commerce:pgpw@postgres-primary:5432\/commerce/);
    expect(api).toMatch(/DB_REPLICA_URL: postgres:\/\/commerce:pgpw@postgres-replica:5432\/commerce/);
    expect(api).toMatch(/REDIS_URL: redis:\/\/:rdpw@redis:6379\/0/);
    expect(api).toMatch(/JWT_SECRET: s{40}/);
    expect(api).toMatch(/3999/);
  });

  it('refuses to render without JWT_SECRET', async () => {
    const result = await run(['-f', COMPOSE_FILE, 'config'], {});
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/JWT_SECRET/);
  });

  it('rejects a broken variant of the file', async () => {
    const original = readFileSync(COMPOSE_FILE, 'utf8');
    const syntax = join(work, 'syntax.yml');
    writeFileSync(syntax, original.replace(/^services:$/m, 'services: [\n'));
    const unknownDependency = join(work, 'dependency.yml');
    writeFileSync(
      unknownDependency,
      original.replace(/depends_on:\n(\s+)postgres-primary:/, 'depends_on:\n$1no-such-service:\n$1  condition: service_healthy\n$1postgres-primary:'),
    );
    expect(readFileSync(unknownDependency, 'utf8')).toContain('no-such-service');

    const results = await Promise.all([run(['-f', syntax, 'config']), run(['-f', unknownDependency, 'config'])]);
    for (const result of results) expect(result.code).not.toBe(0);
  });
});
