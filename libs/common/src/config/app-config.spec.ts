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

  it('names a missing variable', () => {
    const problems = problemsOf({ ...valid, DB_PRIMARY_URL: '' });
    expect(problems).toEqual([expect.stringMatching(/^DB_PRIMARY_URL: is required/)]);
  });

  it('names every invalid variable at once', () => {
    const problems = problemsOf({ ...valid, PORT: 'eighty', CURRENCY: 'euro', REDIS_URL: 'http://x', LOG_LEVEL: 'loud' });
    const names = problems.map((p) => p.split(':')[0]);
    expect(names.sort()).toEqual(['CURRENCY', 'LOG_LEVEL', 'PORT', 'REDIS_URL']);
  });

  it('refuses the sample JWT secret in production only', () => {
    expect(() => loadConfig({ ...valid, JWT_SECRET: SAMPLE_JWT_SECRET })).not.toThrow();
    const problems = problemsOf({ ...valid, NODE_ENV: 'production', JWT_SECRET: SAMPLE_JWT_SECRET });
    expect(problems).toEqual([expect.stringMatching(/^JWT_SECRET: is the sample value/)]);
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
    const inner = (envSchema as unknown as { def?: { in?: { shape: object } }; shape?: object });
    const shape = inner.shape ?? inner.def?.in?.shape ?? {};
    const names = Object.keys(shape);
    expect(names.length).toBeGreaterThan(20);
    expect(names.filter((n) => !documented.has(n))).toEqual([]);
  });
});
