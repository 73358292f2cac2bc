import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Local defaults for tests: real env first, then .env, then .env.example (never overwriting). */
export function loadTestEnvDefaults(): void {
  for (const file of ['.env', '.env.example']) {
    const path = resolve(ROOT, file);
    if (existsSync(path)) process.loadEnvFile(path);
  }
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export const repoRoot = ROOT;
