import { ConfigError } from './config-error.js';
import { loadConfig } from './app-config.js';
import { SAMPLE_JWT_SECRET } from './env.schema.js';

const valid = {
  DB_PRIMARY_URL: 'postgres://postgres@127.0.0.1:5433/commerce',
  REDIS_URL: 'redis://127.0.0.1:6379/0',
  JWT_SECRET: 'x'.repeat(40),
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('builds typed config with defaults', () => {
    const config = loadConfig(valid);
    expect(config.app.port).toBe(3000);
    expect(config.database.replicaUrl).toBeNull();
    expect(config.redis.mode).toBe('standalone');
    expect(config.jwt.accessTtlSeconds).toBe(900);
    expect(config.database.migrateOnStart).toBe(true);
  });

  it('reads the idle memory release settings (default: 2 s idle, 16 MB growth; 0 turns it off)', () => {
    expect(loadConfig(valid).app.memoryRelease).toEqual({ idleMs: 2_000, minGrowthBytes: 16 * 1_048_576 });
    const off = loadConfig({ ...valid, MEMORY_RELEASE_IDLE_MS: '0', MEMORY_RELEASE_MIN_GROWTH_MB: '64' });
    expect(off.app.memoryRelease).toEqual({ idleMs: 0, minGrowthBytes: 64 * 1_048_576 });
    const names = problemsOf({ ...valid, MEMORY_RELEASE_IDLE_MS: 'soon', MEMORY_RELEASE_MIN_GROWTH_MB: '0' }).map((p) => p.split(':')[0]);
    expect(names.sort()).toEqual(['MEMORY_RELEASE_IDLE_MS', 'MEMORY_RELEASE_MIN_GROWTH_MB']);
  });

  it('names a missing variable', () => {
    const problems = problemsOf({ ...valid, DB_PRIMARY_URL: '' });
    expect(problems).toEqual([expect.stringMatching(/^DB_PRIMARY_URL: is required/)]);
  });

  it('names every invalid variable at once', () => {
    const problems = problemsOf({ ...valid, PORT: 'eighty', CURRENCY: 'euro', REDIS_URL: 'http://x', LOG_LEVEL: 'loud' });
    const names = problems.map((p) => p.split(':')[0]);
    expect(names.sort()).toEqual(['CURRENCY', 'LOG_LEVEL', 'PORT', 'REDIS_URL']);
  });

  it('accepts the sample JWT secret only in tests, and in development on a loopback address', () => {
    expect(() => loadConfig({ ...valid, NODE_ENV: 'test', JWT_SECRET: SAMPLE_JWT_SECRET })).not.toThrow();
    expect(() => loadConfig({ ...valid, NODE_ENV: 'test', HOST: '0.0.0.0', JWT_SECRET: SAMPLE_JWT_SECRET })).not.toThrow();
    for (const host of ['127.0.0.1', '::1', 'localhost']) {
      expect(() => loadConfig({ ...valid, NODE_ENV: 'development', HOST: host, JWT_SECRET: SAMPLE_JWT_SECRET })).not.toThrow();
    }
    for (const [nodeEnv, host] of [
      ['development', '0.0.0.0'],
      ['development', '10.0.0.5'],
      ['production', '127.0.0.1'],
    ]) {
      const problems = problemsOf({ ...valid, NODE_ENV: nodeEnv, HOST: host, JWT_SECRET: SAMPLE_JWT_SECRET });
      expect(problems).toEqual([expect.stringMatching(/^JWT_SECRET: is the sample value/)]);
      expect(problems.join('\n')).not.toContain(SAMPLE_JWT_SECRET);
    }
  });

  it('names what is wrong but never prints the values it refuses', () => {
    const secrets = {
      JWT_SECRET: 'hunter2-too-short',
      CART_TOKEN_SECRET: 'cart-secret-short',
      REDIS_URL: 'http://:redis-pass-1234@127.0.0.1:6379/0',
      DB_PRIMARY_URL: 'mysql://admin:db-pass-5678@127.0.0.1/commerce',
      REDIS_PASSWORD: 'x',
      PORT: 'port-secret-99',
      LOG_LEVEL: 'level-secret-77',
    };
    let error: unknown;
    try {
      loadConfig({ ...valid, ...secrets });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { message, problems } = error as ConfigError;
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'CART_TOKEN_SECRET',
      'DB_PRIMARY_URL',
      'JWT_SECRET',
      'LOG_LEVEL',
      'PORT',
      'REDIS_URL',
    ]);
    for (const text of [message, ...problems]) {
      for (const secret of ['hunter2', 'cart-secret', 'redis-pass-1234', 'db-pass-5678', 'port-secret', 'level-secret'])
        expect(text).not.toContain(secret);
    }
    expect(problems.find((p) => p.startsWith('JWT_SECRET:'))).toMatch(/32/);
  });

  it('reads the HTTP server limits, and keeps the headers timeout within the request timeout', () => {
    expect(loadConfig(valid).http).toEqual({
      bodyLimitBytes: 65_536,
      requestTimeoutMs: 30_000,
      headersTimeoutMs: 10_000,
      connectionTimeoutMs: 60_000,
      keepAliveTimeoutMs: 65_000,
    });
    const custom = loadConfig({
      ...valid,
      HTTP_BODY_LIMIT_BYTES: '2048',
      HTTP_REQUEST_TIMEOUT_MS: '5000',
      HTTP_HEADERS_TIMEOUT_MS: '2000',
      HTTP_CONNECTION_TIMEOUT_MS: '0',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '75000',
    });
    expect(custom.http).toEqual({
      bodyLimitBytes: 2048,
      requestTimeoutMs: 5000,
      headersTimeoutMs: 2000,
      connectionTimeoutMs: 0,
      keepAliveTimeoutMs: 75_000,
    });
    expect(problemsOf({ ...valid, HTTP_REQUEST_TIMEOUT_MS: '5000', HTTP_HEADERS_TIMEOUT_MS: '6000' })).toEqual([
      expect.stringMatching(/^HTTP_HEADERS_TIMEOUT_MS: must not exceed/),
    ]);
    expect(problemsOf({ ...valid, HTTP_BODY_LIMIT_BYTES: '10' })).toEqual([expect.stringMatching(/^HTTP_BODY_LIMIT_BYTES: /)]);
  });

  it('bounds L1 in bytes: 16 MiB by default, at least 1 MiB', () => {
    expect(loadConfig(valid).cache.l1?.maxBytes).toBe(16_777_216);
    expect(loadConfig({ ...valid, CACHE_L1_MAX_BYTES: '8388608' }).cache.l1?.maxBytes).toBe(8_388_608);
    expect(problemsOf({ ...valid, CACHE_L1_MAX_BYTES: '1000' })).toEqual([expect.stringMatching(/^CACHE_L1_MAX_BYTES:/)]);
    expect(problemsOf({ ...valid, CACHE_L1_MAX_BYTES: '32mb' })).toEqual([expect.stringMatching(/^CACHE_L1_MAX_BYTES:/)]);
  });

  it('requires the nodes of the chosen Redis mode', () => {
    expect(problemsOf({ ...valid, REDIS_MODE: 'cluster' })).toEqual([expect.stringMatching(/^REDIS_CLUSTER_NODES: /)]);
    const config = loadConfig({ ...valid, REDIS_MODE: 'cluster', REDIS_CLUSTER_NODES: '127.0.0.1:7000, 127.0.0.1:7001' });
    expect(config.redis.clusterNodes).toEqual([
      { host: '127.0.0.1', port: 7000 },
      { host: '127.0.0.1', port: 7001 },
    ]);
  });

  it('the sample .env.example is a valid configuration', async () => {
    const { readFileSync } = await import('node:fs');
    const { parseEnv } = await import('node:util');
    const sample = parseEnv(readFileSync(new URL('../../../../.env.example', import.meta.url), 'utf8')) as Record<string, string>;
    expect(() => loadConfig(sample)).not.toThrow();
  });

  it('.env.example documents every variable of the schema', async () => {
    const { readFileSync } = await import('node:fs');
    const { envSchema } = await import('./env.schema.js');
    const sample = readFileSync(new URL('../../../../.env.example', import.meta.url), 'utf8');
    const documented = new Set([...sample.matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]));
    const inner = envSchema as unknown as { def?: { in?: { shape: object } }; shape?: object };
    const shape = inner.shape ?? inner.def?.in?.shape ?? {};
    const names = Object.keys(shape);
    expect(names.length).toBeGreaterThan(20);
    expect(names.filter((n) => !documented.has(n))).toEqual([]);
  });
});
