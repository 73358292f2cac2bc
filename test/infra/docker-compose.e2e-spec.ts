import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Validates docker-compose.yml and compose.dev.yml with the real Compose parser (`docker compose
// config`, or the Debian docker-compose v1, which needs no engine). scripts/ensure-tools.sh installs
// it if missing.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');
const DEV_COMPOSE_FILE = join(ROOT, 'compose.dev.yml');
const DEV_SERVICES = ['postgres-primary', 'postgres-replica', 'redis', 'redis-cache'];
const APP_SERVICES = ['postgres-primary', 'postgres-replica', 'redis', 'api', 'worker'];
const DB_DEPENDENCIES = ['postgres-primary', 'postgres-replica', 'redis'];

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

let compose: string[] = [];
let composeV1 = false;
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

beforeAll(() => {
  if (!tryRun(['docker', 'compose']) && !tryRun(['docker-compose'])) {
    execFileSync('bash', [join(ROOT, 'scripts/ensure-tools.sh')], { stdio: 'inherit', timeout: 300_000 });
  }
  compose = tryRun(['docker', 'compose']) ? ['docker', 'compose'] : ['docker-compose'];
  composeV1 =
    compose[0] === 'docker-compose' && /^1\./.test(execFileSync('docker-compose', ['version', '--short'], { encoding: 'utf8' }).trim());
  work = mkdtempSync(join(tmpdir(), 'compose-spec-'));
  emptyEnvFile = join(work, 'empty.env');
  writeFileSync(emptyEnvFile, '');
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Host ports a service publishes, from the normalised config: v1 prints "- 127.0.0.1:5433:5432/tcp",
 *  v2 the long form (host_ip, target, published). */
function publishedPorts(serviceBlock: string): { hostIp: string; published: number; target: number }[] {
  const block = section(serviceBlock, ['ports']);
  const short = [...block.matchAll(/^\s*- "?(?:([\d.]+):)?(\d+):(\d+)(?:\/\w+)?"?\s*$/gm)].map((m) => ({
    hostIp: m[1] ?? '',
    published: Number(m[2]),
    target: Number(m[3]),
  }));
  if (short.length) return short;
  return block
    .split(/^\s*- /m)
    .filter((entry) => /target:/.test(entry))
    .map((entry) => ({
      hostIp: /host_ip: "?([^"\s]+)/.exec(entry)?.[1] ?? '',
      published: Number(/published: "?(\d+)/.exec(entry)?.[1]),
      target: Number(/target: (\d+)/.exec(entry)?.[1]),
    }));
}

/** The port of a URL variable in .env.example. */
function envExamplePort(name: string): number {
  const example = readFileSync(join(ROOT, '.env.example'), 'utf8');
  const value = new RegExp(`^${name}=(.*)$`, 'm').exec(example)?.[1]?.trim();
  if (!value) throw new Error(`.env.example has no ${name}`);
  return Number(new URL(value).port);
}

describe('docker-compose.yml', () => {
  let config: Result;

  beforeAll(async () => {
    config = await run(['-f', COMPOSE_FILE, 'config']);
  }, 60_000);

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
      original.replace(
        /depends_on:\n(\s+)postgres-primary:/,
        'depends_on:\n$1no-such-service:\n$1  condition: service_healthy\n$1postgres-primary:',
      ),
    );
    expect(readFileSync(unknownDependency, 'utf8')).toContain('no-such-service');

    const results = await Promise.all([run(['-f', syntax, 'config']), run(['-f', unknownDependency, 'config'])]);
    for (const result of results) expect(result.code).not.toBe(0);
  });
});

describe('docker-compose.yml seed service', () => {
  it('runs the seed once, on demand (profile seed), after the API is healthy', async () => {
    const result = await run(['-f', COMPOSE_FILE, '--profile', 'seed', 'config']);
    expect(result.code).toBe(0);
    const seed = section(result.stdout, ['services', 'seed']);
    expect(section(seed, ['profiles'])).toMatch(/- seed/);
    expect(section(seed, ['command'])).toMatch(/node[\s\S]*dist\/apps\/cli\/src\/seed\.js/);
    expect(seed).toMatch(/image: nest-commerce-api/);
    expect(section(seed, ['depends_on', 'api'])).toMatch(/condition: service_healthy/);
    expect(section(seed, ['environment'])).toMatch(/DB_PRIMARY_URL: postgres:\/\/commerce:commerce@postgres-primary:5432\/commerce/);
    expect(seed).not.toMatch(/restart: (always|unless-stopped)/);
    // The runtime image has the CLI next to the apps (the build stage checks it is there).
    expect(readFileSync(join(ROOT, 'docker/Dockerfile'), 'utf8')).toMatch(/test -f dist\/apps\/cli\/src\/seed\.js/);
  });

  it('serves Swagger UI by default, as README and .env.example say', () => {
    const file = readFileSync(COMPOSE_FILE, 'utf8');
    expect(file).toMatch(/SWAGGER_ENABLED: \$\{SWAGGER_ENABLED:-true\}/);
    expect(readFileSync(join(ROOT, '.env.example'), 'utf8')).toMatch(/^SWAGGER_ENABLED=true$/m);
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toMatch(/\| `SWAGGER_ENABLED` \| `true` \|/);
  });
});

describe('compose.dev.yml', () => {
  let config: Result;
  let file = DEV_COMPOSE_FILE;

  beforeAll(async () => {
    // Compose v1 predates the top-level `name` key (a project of its own, so these containers and
    // volumes never mix with docker-compose.yml's); v1 validates the rest of the file without it.
    if (composeV1) {
      file = join(work, 'compose.dev.yml');
      writeFileSync(file, readFileSync(DEV_COMPOSE_FILE, 'utf8').replace(/^name: .*\n/m, ''));
    }
    config = await run(['-f', file, 'config'], {});
  }, 60_000);

  it('is valid without any variable set, and names a project of its own', () => {
    expect(config.stderr).not.toMatch(/error/i);
    expect(config.code).toBe(0);
    expect(readFileSync(DEV_COMPOSE_FILE, 'utf8')).toMatch(/^name: nest-commerce-dev$/m);
  });

  it('runs only Postgres primary + replica and the two Redis servers: no api, no worker', async () => {
    const services = await run(['-f', file, 'config', '--services'], {});
    expect(services.code).toBe(0);
    expect(services.stdout.split('\n').filter(Boolean).sort()).toEqual([...DEV_SERVICES].sort());
    expect(section(config.stdout, ['services', 'api'])).toBe('');
    expect(section(config.stdout, ['services', 'worker'])).toBe('');
  });

  it('publishes, on loopback only, the ports of the URLs in .env.example', () => {
    const expected: Record<string, number> = {
      'postgres-primary': envExamplePort('DB_PRIMARY_URL'),
      'postgres-replica': envExamplePort('DB_REPLICA_URL'),
      redis: envExamplePort('REDIS_URL'),
      'redis-cache': envExamplePort('REDIS_CACHE_URL'),
    };
    expect(expected).toEqual({ 'postgres-primary': 5433, 'postgres-replica': 5434, redis: 6379, 'redis-cache': 6380 });
    for (const [service, port] of Object.entries(expected)) {
      const ports = publishedPorts(section(config.stdout, ['services', service]));
      const target = service.startsWith('postgres') ? 5432 : 6379;
      expect({ service, ports }).toEqual({ service, ports: [{ hostIp: '127.0.0.1', published: port, target }] });
    }
  });

  it('matches the credentials of .env.example: user postgres without password, database commerce, Redis without password', () => {
    const example = readFileSync(join(ROOT, '.env.example'), 'utf8');
    const primaryUrl = new URL(/^DB_PRIMARY_URL=(.*)$/m.exec(example)![1]);
    expect([primaryUrl.username, primaryUrl.password, primaryUrl.pathname]).toEqual(['postgres', '', '/commerce']);
    const primary = section(config.stdout, ['services', 'postgres-primary', 'environment']);
    expect(primary).toMatch(/POSTGRES_USER: postgres$/m);
    expect(primary).toMatch(/POSTGRES_DB: commerce$/m);
    expect(primary).toMatch(/POSTGRES_HOST_AUTH_METHOD: trust$/m);
    expect(primary).not.toMatch(/POSTGRES_PASSWORD/);
    // docker/postgres scripts: primary-init needs REPLICATION_PASSWORD, the replica PRIMARY_HOST too.
    expect(primary).toMatch(/REPLICATION_PASSWORD: \S+/);
    const replica = section(config.stdout, ['services', 'postgres-replica']);
    expect(section(replica, ['environment'])).toMatch(/PRIMARY_HOST: postgres-primary$/m);
    expect(section(replica, ['environment'])).toMatch(/REPLICATION_PASSWORD: \S+/);
    expect(section(replica, ['entrypoint'])).toMatch(/replica-entrypoint\.sh/);
    expect(section(replica, ['depends_on', 'postgres-primary'])).toMatch(/condition: service_healthy/);
    expect(section(config.stdout, ['services', 'postgres-primary', 'volumes'])).toMatch(
      /docker\/postgres\/primary-init\.sh:\/docker-entrypoint-initdb\.d\//,
    );
    for (const name of ['REDIS_URL', 'REDIS_CACHE_URL']) {
      expect(new URL(new RegExp(`^${name}=(.*)$`, 'm').exec(example)![1]).password).toBe('');
    }
    for (const service of ['redis', 'redis-cache']) {
      const command = section(config.stdout, ['services', service, 'command']);
      expect({ service, command }).toEqual({ service, command: expect.not.stringMatching(/requirepass/) });
      // Connections through the published port come from the Docker network, not from loopback.
      expect({ service, command }).toEqual({ service, command: expect.stringMatching(/--protected-mode\s+- "?no"?/) });
    }
  });

  it('runs Redis with noeviction and the cache Redis with allkeys-lru, from docker/redis', () => {
    expect(section(config.stdout, ['services', 'redis', 'volumes'])).toMatch(
      /docker\/redis\/redis\.conf:\/usr\/local\/etc\/redis\/redis\.conf/,
    );
    expect(section(config.stdout, ['services', 'redis-cache', 'volumes'])).toMatch(
      /docker\/redis\/redis-cache\.conf:\/usr\/local\/etc\/redis\/redis\.conf/,
    );
    expect(readFileSync(join(ROOT, 'docker/redis/redis.conf'), 'utf8')).toMatch(/^maxmemory-policy noeviction$/m);
    expect(readFileSync(join(ROOT, 'docker/redis/redis-cache.conf'), 'utf8')).toMatch(/^maxmemory-policy allkeys-lru$/m);
  });

  it('gives every service a healthcheck', () => {
    for (const service of DEV_SERVICES) {
      expect({ service, test: section(config.stdout, ['services', service, 'healthcheck', 'test']) }).toEqual({
        service,
        test: expect.stringMatching(/\S/),
      });
    }
  });
});
