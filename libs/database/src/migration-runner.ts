import type { DataSource } from 'typeorm';

// Arbitrary constant shared by every instance: only one of them migrates at a time.
const MIGRATION_LOCK_ID = 724_311_905;

/**
 * Runs pending migrations on the primary. A session advisory lock serialises instances that
 * start together; the ones that wait find nothing left to do.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner('master');
  try {
    await runner.connect();
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]);
    }
  } finally {
    await runner.release();
  }
}
