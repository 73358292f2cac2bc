import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import pg from 'pg';
import { API_BUNDLE, ROOT, withDatabase } from './processes.js';
import { removeBenchKeys } from './redis-cleanup.js';
import { MODE } from './settings.js';

/** A database and Redis prefix of a benchmark's own, migrated; `cleanup` removes both. */
export interface BenchStack {
  /** Environment for the built apps (production settings, the stack's database and prefix). */
  env: Record<string, string>;
  id: string;
  cleanup(): Promise<void>;
}

export async function createBenchStack(extraEnv: Record<string, string> = {}): Promise<BenchStack> {
  if (!existsSync(API_BUNDLE) || !existsSync(resolve(ROOT, 'dist/apps/worker/src/main.js'))) {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  }
  const id = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const database = `commerce_bench_${id}`;
  const prefix = `bench${id}`;
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    JWT_SECRET: randomBytes(32).toString('hex'),
    LOG_LEVEL: 'warn',
    DB_PRIMARY_URL: withDatabase(process.env.DB_PRIMARY_URL!, database),
    DB_REPLICA_URL: '',
    REDIS_KEY_PREFIX: prefix,
    SWAGGER_ENABLED: 'false',
    ...extraEnv,
  };
  const admin = new pg.Client({ connectionString: withDatabase(process.env.DB_PRIMARY_URL!, 'postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  execFileSync(process.execPath, [resolve(ROOT, 'dist/libs/database/src/cli/migrate.js')], {
    cwd: ROOT,
    env: { ...process.env, ...env, NODE_OPTIONS: '' },
    stdio: 'inherit',
  });
  return {
    env,
    id,
    async cleanup() {
      await removeBenchKeys([`${prefix}:*`, `{${prefix}:bull}*`]);
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Writes a benchmark's results (with the machine it ran on, its load average and the mode, full or quick) as JSON. */
export function writeResults(file: string, results: Record<string, unknown>): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        mode: MODE,
        node: process.version,
        cpus: os.cpus().length,
        loadAvg1m: Math.round(os.loadavg()[0] * 10) / 10,
        ...results,
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`written ${file}`);
}
