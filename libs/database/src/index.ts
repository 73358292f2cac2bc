export * from './data-source-options.js';
export * from './database.module.js';
export * from './migration-runner.js';
export * from './migrations/index.js';
export * from './replica-reader.js';
export * from './initialize-data-source.js';
