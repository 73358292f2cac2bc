import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The layout rules of the repository, checked from the source text:
 * - imports point one way: apps → domain libs → (cache, database, common); libs/jobs (the queues
 *   the apps share) uses only database, common and cache; libs/cache imports
 *   nothing of ours; a domain lib reaches another only through its index (`@app/<name>`), and never
 *   anything HTTP;
 * - SQL lives only in repositories (`*.repository.ts`) and migrations.
 */

export interface SourceFile {
  /** Repository-relative path with forward slashes. */
  path: string;
  text: string;
}

const DOMAINS = ['identity', 'catalog', 'cart', 'orders'] as const;
const INFRA = ['cache', 'database', 'common', 'jobs'] as const;
const HTTP_PACKAGES = [
  'fastify',
  '@nestjs/platform-fastify',
  '@nestjs/swagger',
  '@nestjs/throttler',
  'class-validator',
  'class-transformer',
];

type Layer = { kind: 'app'; name: string } | { kind: 'domain'; name: string } | { kind: 'infra'; name: string } | { kind: 'other' };

export function layerOf(path: string): Layer {
  const [top, name] = path.split('/');
  if (top === 'apps' && name) return { kind: 'app', name };
  if (top === 'libs' && name && (DOMAINS as readonly string[]).includes(name)) return { kind: 'domain', name };
  if (top === 'libs' && name && (INFRA as readonly string[]).includes(name)) return { kind: 'infra', name };
  return { kind: 'other' };
}

/** Every module specifier a file imports, re-exports, loads dynamically or augments. */
export function specifiersOf(text: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\bdeclare\s+module\s+['"]([^'"]+)['"]/g,
  ];
  for (const pattern of patterns) for (const match of text.matchAll(pattern)) found.push(match[1]);
  return found;
}

/** Names imported from '@nestjs/common' that are HTTP exceptions. */
function httpExceptionsImported(text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*['"]@nestjs\/common['"]/g)) {
    for (const name of match[1].split(',').map((n) => n.trim().replace(/^type\s+/, ''))) if (/Exception$/.test(name)) names.push(name);
  }
  return names;
}

/** Where a specifier points: another layer (for `@app/...` and relative paths), or an npm package. */
function targetOf(file: string, specifier: string): { layer: Layer; deep: boolean } | { pkg: string } {
  const alias = /^@app\/([^/]+)(\/.*)?$/.exec(specifier);
  if (alias) return { layer: layerOf(`libs/${alias[1]}/src`), deep: alias[2] !== undefined };
  if (specifier.startsWith('.')) {
    const target = relative('.', resolve(dirname(file), specifier))
      .split('\\')
      .join('/');
    return { layer: layerOf(target), deep: true };
  }
  return { pkg: specifier };
}

export function importViolations(files: readonly SourceFile[]): string[] {
  const problems: string[] = [];
  for (const file of files) {
    const from = layerOf(file.path);
    if (from.kind === 'other') continue;
    for (const specifier of specifiersOf(file.text)) {
      const to = targetOf(file.path, specifier);
      const where = `${file.path} imports '${specifier}'`;
      if ('pkg' in to) {
        if (from.kind === 'domain' && HTTP_PACKAGES.some((p) => to.pkg === p || to.pkg.startsWith(`${p}/`)))
          problems.push(`${where}: a domain library must not depend on HTTP`);
        continue;
      }
      const target = to.layer;
      if (target.kind === 'other' || (target.kind === from.kind && 'name' in target && target.name === from.name)) continue;
      if (from.kind === 'infra') {
        const allowed =
          from.name === 'database'
            ? ['common']
            : from.name === 'common'
              ? ['cache']
              : from.name === 'jobs'
                ? ['common', 'database', 'cache']
                : [];
        if (target.kind !== 'infra' || !allowed.includes(target.name))
          problems.push(
            `${where}: libs/${from.name} may import only ${allowed.length ? allowed.map((a) => `libs/${a}`).join(', ') : 'npm packages'}`,
          );
      } else if (from.kind === 'domain') {
        if (target.kind === 'app') problems.push(`${where}: a domain library must not import an app`);
        else if (target.kind === 'infra' && target.name === 'jobs')
          problems.push(`${where}: the job queues belong to the apps; a domain library writes outbox events instead`);
        else if (target.kind === 'domain' && to.deep)
          problems.push(`${where}: another domain library is reached only through its index (@app/${target.name})`);
      } else if (from.kind === 'app') {
        if (target.kind === 'app') problems.push(`${where}: an app must not import another app`);
        else if (target.kind === 'domain' && to.deep)
          problems.push(`${where}: apps use a domain library through its index (@app/${target.name})`);
      }
    }
    if (from.kind === 'domain')
      for (const name of httpExceptionsImported(file.text))
        problems.push(`${file.path} imports ${name}: domain libraries throw domain errors (@app/common), the HTTP edge maps them`);
  }
  return problems;
}

/** Source text without comments, so a comment that shows a statement is not taken for one. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

const SQL_SIGNS: [RegExp, string][] = [
  [/\.query\s*(<[^>]*>)?\s*\(/, 'runs a query'],
  [/\bcreateQueryBuilder\s*\(/, 'builds a query'],
  [/\bgetRepository\s*\(/, 'uses a TypeORM repository'],
  [
    /\b(manager|em|entityManager|dataSource)\.(insert|update|delete|save|remove|find\w*|count\w*|exists\w*)\s*\(/,
    'reads or writes entities',
  ],
  [/\b(SELECT\s+[\w*(]|INSERT\s+INTO\s|UPDATE\s+[\w.]+\s+SET\s|DELETE\s+FROM\s)/, 'holds SQL text'],
];

/** Repositories and migrations are where SQL lives. */
export function mayHoldSql(path: string): boolean {
  return (
    path.endsWith('.repository.ts') || path.startsWith('libs/database/src/migrations/') || path === 'libs/database/src/migration-runner.ts'
  );
}

export function sqlViolations(files: readonly SourceFile[]): string[] {
  const problems: string[] = [];
  for (const file of files) {
    if (mayHoldSql(file.path)) continue;
    const code = withoutComments(file.text);
    const signs = SQL_SIGNS.filter(([sign]) => sign.test(code)).map(([, what]) => what);
    if (signs.length) problems.push(`${file.path} ${signs.join(', ')}: SQL belongs in a *.repository.ts of its module`);
  }
  return problems;
}

/** Non-test TypeScript sources of apps/ and libs/. */
export function productionSources(root: string): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'testing') walk(path);
      } else if (entry.name.endsWith('.ts') && !/\.(e2e-)?spec\.ts$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
        out.push({ path, text: readFileSync(join(root, path), 'utf8') });
      }
    }
  };
  walk('apps');
  walk('libs');
  return out;
}
