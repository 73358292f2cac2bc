import { loadConfig, loadEnvFile } from '@app/common';
import { buildDataSourceOptions } from '../data-source-options.js';
import { initializeDataSource } from '../initialize-data-source.js';
import { runMigrations } from '../migration-runner.js';

/** `npm run migrate`: applies pending migrations on the primary and exits. */
async function main(): Promise<void> {
  loadEnvFile();
  const config = loadConfig();
  const dataSource = await initializeDataSource(buildDataSourceOptions(config.database, { applicationName: 'migrate' }));
  try {
    const applied = await runMigrations(dataSource);
    console.log(applied.length ? `migrations applied: ${applied.join(', ')}` : 'migrations: schema up to date');
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
