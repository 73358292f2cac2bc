// Jest runs the ESM TypeScript sources through SWC (legacy decorators + metadata, like tsc).
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'es6' },
  sourceMaps: 'inline',
};

// ESM-only packages that CommonJS dependencies require() (Node 20 allows it, Jest does not):
// compiled to CommonJS for the test runtime only.
const esmOnlyRequired = ['content-disposition', 'cookie', 'set-cookie-parser'].join('|');

/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', swc],
    [`/node_modules/(${esmOnlyRequired})/.+\\.js$`]: ['@swc/jest', { module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnlyRequired})/)`],
  moduleNameMapper: {
    '^@app/(cache|database|common|identity|catalog|cart|orders|jobs)$': '<rootDir>/libs/$1/src/index.ts',
    '^@app/(cache|database|common|identity|catalog|cart|orders|jobs)/(.*)\\.js$': '<rootDir>/libs/$1/src/$2.ts',
    '^@app/(cache|database|common|identity|catalog|cart|orders|jobs)/(.*)$': '<rootDir>/libs/$1/src/$2',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  // Every answer of an app made by createTestApp is checked against openapi.json; violations fail the file.
  setupFilesAfterEnv: ['<rootDir>/test/setup/openapi-conformance.setup.ts'],
  testTimeout: 60000,
  maxWorkers: 2,
};
