// ESLint (flat config): typescript-eslint with type information, plus the import direction of the
// libraries (apps → domain libraries → cache, database, common). test/architecture/layout.spec.ts
// checks the same direction from the source text, including dynamic imports.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const DOMAINS = ['identity', 'catalog', 'cart', 'orders'];
const LIBS = [...DOMAINS, 'cache', 'database', 'common', 'jobs'];
const HTTP_PACKAGES = [
  'fastify',
  '@nestjs/platform-fastify',
  '@nestjs/swagger',
  '@nestjs/throttler',
  'class-validator',
  'class-transformer',
];

/** A relative specifier that climbs into libs/<name> (`../../catalog/src/x.js`). */
const relativeInto = (names) => `^(\\.\\./)+(${names.join('|')})/src(/|$)`;
const appsRelative = '^(\\.\\./)+(apps/|api/src|worker/src|cli/src)';

/** `no-restricted-imports` for one layer: the libraries it may not reach and the packages it may not use. */
function direction({ forbiddenLibs = [], deepLibs = [], packages = [], apps = false, message }) {
  const patterns = [];
  if (forbiddenLibs.length) {
    patterns.push({ regex: `^@app/(${forbiddenLibs.join('|')})(/|$)`, message });
    patterns.push({ regex: relativeInto(forbiddenLibs), message });
  }
  if (deepLibs.length) {
    patterns.push({ regex: `^@app/(${deepLibs.join('|')})/`, message: 'reach a library through its index (@app/<name>)' });
    patterns.push({ regex: relativeInto(deepLibs), message: 'reach a library through its index (@app/<name>)' });
  }
  if (apps) patterns.push({ regex: appsRelative, message: 'libraries never import an app' });
  const paths = packages.map((name) => ({ name, message: 'domain libraries do not depend on HTTP' }));
  return { 'no-restricted-imports': ['error', { paths, patterns }] };
}

const except = (...names) => LIBS.filter((l) => !names.includes(l));

export default tseslint.config(
  {
    // ESLint does not read .gitignore: what git ignores is listed here too (.local/ is scratch space).
    ignores: [
      '.local/**',
      '**/dist/**',
      'coverage/**',
      'node_modules/**',
      'tools/**',
      'bench/peers/**',
      'bench/results/**',
      'test-artifacts/**',
      'test/support/api-types.ts',
      '**/*.cjs',
      '**/*.mjs',
      '**/*.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Methods that implement a promise-returning contract without awaiting anything are fine.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Tests, benchmarks and scripts read untyped JSON (HTTP bodies, result files) on purpose.
    files: ['test/**/*.ts', '**/*.spec.ts', '**/testing/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['libs/cache/**/*.ts'],
    rules: direction({ forbiddenLibs: except('cache'), apps: true, message: 'libs/cache imports nothing of ours' }),
  },
  {
    files: ['libs/common/**/*.ts'],
    rules: direction({ forbiddenLibs: except('common', 'cache'), apps: true, message: 'libs/common may import only libs/cache' }),
  },
  {
    files: ['libs/database/**/*.ts'],
    rules: direction({ forbiddenLibs: except('database', 'common'), apps: true, message: 'libs/database may import only libs/common' }),
  },
  {
    files: ['libs/jobs/**/*.ts'],
    rules: direction({
      forbiddenLibs: DOMAINS,
      apps: true,
      message: 'libs/jobs may import only libs/common, libs/database and libs/cache',
    }),
  },
  ...DOMAINS.map((domain) => ({
    files: [`libs/${domain}/**/*.ts`],
    rules: direction({
      forbiddenLibs: ['jobs'],
      deepLibs: DOMAINS.filter((d) => d !== domain),
      packages: HTTP_PACKAGES,
      apps: true,
      message: 'the job queues belong to the apps; a domain library writes outbox events instead',
    }),
  })),
  {
    files: ['apps/api/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: `^@app/(${DOMAINS.join('|')})/`, message: 'apps use a domain library through its index (@app/<name>)' },
            { regex: '^(\\.\\./)+(worker|cli)/src(/|$)', message: 'an app never imports another app' },
          ],
        },
      ],
    },
  },
  {
    files: ['apps/worker/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: `^@app/(${DOMAINS.join('|')})/`, message: 'apps use a domain library through its index (@app/<name>)' },
            { regex: '^(\\.\\./)+(api|cli)/src(/|$)', message: 'an app never imports another app' },
          ],
        },
      ],
    },
  },
);
