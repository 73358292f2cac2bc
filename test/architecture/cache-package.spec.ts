import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { repoRoot } from '../support/test-env.js';

/*
 * libs/cache is published on its own (@nest-commerce/cache, libs/cache/package.json): it may import
 * only its own files and the packages its package.json names, and each entry point may load at
 * runtime only what a consumer of that entry is told to install.
 */

const LIB = 'libs/cache';
const SRC = `${LIB}/src`;

interface PackageJson {
  name: string;
  version: string;
  type: string;
  main: string;
  types: string;
  exports: Record<string, string | { types: string; default: string }>;
  files: string[];
  dependencies: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(join(repoRoot, path), 'utf8')) as T;
const pkg = readJson<PackageJson>(`${LIB}/package.json`);
const rootPkg = readJson<PackageJson>('package.json');

interface Import {
  specifier: string;
  /** Erased by the compiler: `import type`, `export type`, or braces holding only `type` names. */
  typeOnly: boolean;
}

/** Source text without comments (a comment that shows an import is not one). */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** Every module a file imports or re-exports, statically or dynamically. */
function importsOf(text: string): Import[] {
  const code = withoutComments(text);
  const found: Import[] = [];
  for (const m of code.matchAll(/\b(import|export)\s+(type\s+)?([^;'"]*?)\s*from\s*['"]([^'"]+)['"]/g)) {
    const clause = m[3].trim();
    const braces = /^\{([\s\S]*)\}$/.exec(clause);
    const names = braces
      ? braces[1]
          .split(',')
          .map((n) => n.trim())
          .filter(Boolean)
      : [];
    const allTypeNames = braces !== null && names.length > 0 && names.every((n) => n.startsWith('type '));
    found.push({ specifier: m[4], typeOnly: m[2] !== undefined || allTypeNames });
  }
  for (const m of code.matchAll(/\bimport\s*['"]([^'"]+)['"]/g)) found.push({ specifier: m[1], typeOnly: false });
  for (const m of code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push({ specifier: m[1], typeOnly: false });
  return found;
}

/** The npm package a bare specifier names (`@scope/name` or `name`), or undefined for a builtin. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('node:') || builtinModules.includes(specifier)) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Repository-relative .ts path a relative specifier of `file` points to. */
function resolveRelative(file: string, specifier: string): string {
  return relative(repoRoot, resolve(repoRoot, dirname(file), specifier))
    .split('\\')
    .join('/')
    .replace(/\.js$/, '.ts');
}

/** Non-test sources of libs/cache (what the package build compiles, plus the monorepo index). */
function librarySources(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(repoRoot, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== 'testing') walk(path);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
    }
  };
  walk(SRC);
  return out;
}

/** Packages an entry point loads at runtime, following its runtime imports through the library. */
function runtimePackages(entry: string): { packages: Set<string>; files: Set<string> } {
  const packages = new Set<string>();
  const files = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const imp of importsOf(readFileSync(join(repoRoot, file), 'utf8'))) {
      if (imp.typeOnly) continue;
      if (imp.specifier.startsWith('.')) visit(resolveRelative(file, imp.specifier));
      else {
        const p = packageOf(imp.specifier);
        if (p) packages.add(p);
      }
    }
  };
  visit(entry);
  return { packages, files };
}

const sourceOfExport = (target: string): string => target.replace(/^\.\/dist\//, `${SRC}/`).replace(/\.(d\.ts|js)$/, '.ts');
const entryTarget = (name: string): { types: string; default: string } => {
  const t = pkg.exports[name];
  if (!t || typeof t === 'string') throw new Error(`exports["${name}"] is not { types, default }`);
  return t;
};

describe('libs/cache as a standalone package', () => {
  const sources = librarySources();

  it('finds the sources it checks', () => {
    expect(sources).toEqual(
      expect.arrayContaining([`${SRC}/index.ts`, `${SRC}/standalone.ts`, `${SRC}/core/cache-aside.ts`, `${SRC}/adapters/keyv-store.ts`]),
    );
    expect(sources.some((s) => s.includes('/testing/') || s.endsWith('.spec.ts'))).toBe(false);
  });

  it('imports nothing outside itself: relative imports stay in libs/cache/src, no @app/ aliases', () => {
    const problems: string[] = [];
    for (const file of sources) {
      for (const { specifier } of importsOf(readFileSync(join(repoRoot, file), 'utf8'))) {
        if (specifier.startsWith('@app/')) problems.push(`${file} imports '${specifier}' (an alias of the monorepo)`);
        else if (specifier.startsWith('.')) {
          const target = resolveRelative(file, specifier);
          if (!target.startsWith(`${SRC}/`)) problems.push(`${file} imports '${specifier}', outside ${SRC}`);
          else if (!existsSync(join(repoRoot, target))) problems.push(`${file} imports '${specifier}', which does not exist`);
          else if (target.includes('/testing/')) problems.push(`${file} imports the test harness '${specifier}'`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('every package it imports is a dependency or a peer dependency of its package.json', () => {
    const declared = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies)]);
    const problems: string[] = [];
    for (const file of sources) {
      for (const { specifier } of importsOf(readFileSync(join(repoRoot, file), 'utf8'))) {
        const p = specifier.startsWith('.') ? undefined : packageOf(specifier);
        if (p && !declared.has(p)) problems.push(`${file} imports '${specifier}', not in ${LIB}/package.json`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('"." runs on its dependencies alone: no Nest, keyv, prom-client or rxjs at runtime', () => {
    const { packages, files } = runtimePackages(sourceOfExport(entryTarget('.').default));
    expect(files.size).toBeGreaterThan(30); // the walk follows the re-exports
    expect([...packages].sort()).toEqual(Object.keys(pkg.dependencies).sort());
  });

  it('"./keyv" adds only keyv, "./nest" only Nest and rxjs, "./prometheus" only prom-client', () => {
    const deps = Object.keys(pkg.dependencies);
    const extra = (entry: string): string[] =>
      [...runtimePackages(sourceOfExport(entryTarget(entry).default)).packages].filter((p) => !deps.includes(p)).sort();
    expect(extra('./keyv')).toEqual(['keyv']);
    expect(extra('./nest')).toEqual(['@nestjs/common', '@nestjs/core', '@nestjs/terminus', 'rxjs']);
    expect(extra('./prometheus')).toEqual(['prom-client']);
  });

  it('package.json: ESM, entry points that exist, exact dependency versions of the root, optional peers', () => {
    expect(pkg).toMatchObject({ name: '@nest-commerce/cache', version: '0.1.0', type: 'module' });
    expect(Object.keys(pkg.exports).sort()).toEqual(['.', './keyv', './nest', './package.json', './prometheus']);
    expect(pkg.main).toBe(entryTarget('.').default);
    expect(pkg.types).toBe(entryTarget('.').types);
    for (const name of ['.', './nest', './keyv', './prometheus']) {
      const t = entryTarget(name);
      expect(t.types).toBe(t.default.replace(/\.js$/, '.d.ts'));
      expect(existsSync(join(repoRoot, sourceOfExport(t.default)))).toBe(true);
    }
    expect(pkg.files).toEqual(['dist', 'README.md']);
    for (const [name, version] of Object.entries(pkg.dependencies)) {
      expect(version).toMatch(/^\d+\.\d+\.\d+(-[\w.]+)?$/);
      expect({ name, version }).toEqual({ name, version: rootPkg.dependencies[name] });
    }
    expect(Object.keys(pkg.dependencies).sort()).toEqual([
      '@msgpack/msgpack',
      '@opentelemetry/api',
      'cluster-key-slot',
      'ioredis',
      'lru-cache',
      'redlock',
    ]);
    expect(Object.keys(pkg.peerDependenciesMeta).sort()).toEqual(Object.keys(pkg.peerDependencies).sort());
    for (const meta of Object.values(pkg.peerDependenciesMeta)) expect(meta.optional).toBe(true);
    // The peers' ranges accept what the monorepo runs on (e.g. ^12.0.0 for @nestjs/common 12.5.1).
    for (const [name, range] of Object.entries(pkg.peerDependencies)) {
      const installed = rootPkg.dependencies[name] ?? rootPkg.devDependencies?.[name];
      expect({ name, installed: installed?.split('.')[0] }).toEqual({ name, installed: /^\^(\d+)\./.exec(range)?.[1] });
    }
  });

  it('the entry points together export what the monorepo index exports', async () => {
    const names = async (path: string): Promise<string[]> => Object.keys(await import(join(repoRoot, path))).sort();
    const index = await names(`${SRC}/index.ts`);
    const parts = new Set([
      ...(await names(sourceOfExport(entryTarget('.').default))),
      ...(await names(sourceOfExport(entryTarget('./nest').default))),
      ...(await names(sourceOfExport(entryTarget('./prometheus').default))),
    ]);
    expect(index.filter((n) => !parts.has(n))).toEqual([]);
    expect([...parts].filter((n) => !index.includes(n)).sort()).toEqual([]);
    // Types included: the monorepo index is made of the published entries, nothing of its own.
    const indexText = withoutComments(readFileSync(join(repoRoot, `${SRC}/index.ts`), 'utf8'));
    expect(indexText).toContain("export * from './standalone.js';");
    expect(indexText).toContain("export * from './nest/index.js';");
    expect(index.length).toBeGreaterThan(20);
  });

  it('its build compiles libs/cache/src alone into libs/cache/dist', () => {
    const tsconfig = readJson<{ extends: string; compilerOptions: Record<string, unknown>; include: string[]; exclude: string[] }>(
      `${LIB}/tsconfig.build.json`,
    );
    expect(tsconfig.compilerOptions).toMatchObject({ rootDir: './src', outDir: './dist', declaration: true, paths: {} });
    expect(tsconfig.include).toEqual(['src/**/*.ts']);
    expect(tsconfig.exclude).toEqual(expect.arrayContaining(['src/**/*.spec.ts', 'src/**/testing/**']));
    expect(readFileSync(join(repoRoot, '.gitignore'), 'utf8').split('\n')).toContain('dist/'); // libs/cache/dist too
  });

  describe('the checks themselves', () => {
    it('tell type-only imports from runtime ones and ignore comments', () => {
      const imports = importsOf(
        [
          "import type { A } from 'a';",
          "import { type B, type C } from 'b';",
          "import { type D, E } from 'c';",
          "import F, { type G } from 'd';",
          "export type { H } from 'e';",
          "export { I } from 'f';",
          "import 'g';",
          "const h = await import('h');",
          "// import { J } from 'i';",
          "/* export * from 'j'; */",
          "export * from 'k';",
          "const url = 'redis://x'; import { L } from 'l';",
        ].join('\n'),
      );
      expect(imports).toEqual(
        expect.arrayContaining([
          { specifier: 'a', typeOnly: true },
          { specifier: 'b', typeOnly: true },
          { specifier: 'c', typeOnly: false },
          { specifier: 'd', typeOnly: false },
          { specifier: 'e', typeOnly: true },
          { specifier: 'f', typeOnly: false },
          { specifier: 'g', typeOnly: false },
          { specifier: 'h', typeOnly: false },
          { specifier: 'k', typeOnly: false },
          { specifier: 'l', typeOnly: false },
        ]),
      );
      expect(imports.map((i) => i.specifier)).not.toContain('i');
      expect(imports.map((i) => i.specifier)).not.toContain('j');
      expect(packageOf('@nestjs/common/decorators')).toBe('@nestjs/common');
      expect(packageOf('rxjs/operators')).toBe('rxjs');
      expect(packageOf('node:fs')).toBeUndefined();
      expect(packageOf('events')).toBeUndefined();
    });
  });
});
