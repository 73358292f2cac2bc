import { Logger } from '@nestjs/common';
import { DataSource, type DataSourceOptions } from 'typeorm';

interface PgPool {
  on(event: 'error', listener: (error: Error) => void): unknown;
}
interface PostgresDriverInternals {
  postgres: { Pool: new (options: Record<string, unknown>) => PgPool };
  createPool(options: PoolSourceOptions, credentials: { url?: string }): Promise<PgPool>;
}
interface PoolSourceOptions {
  replication?: { master: unknown };
  connectTimeoutMS?: number;
  poolSize?: number;
  extra?: Record<string, unknown>;
}

const logger = new Logger('Database');

/**
 * Initializes a DataSource that still starts when the replica is down. TypeORM test-connects every
 * replica pool at start-up and fails the whole boot if one is unreachable; a replica is optional
 * for serving (ReplicaReader falls back to the primary), so its pool is created unconnected and
 * starts working when the replica returns. The primary stays mandatory.
 */
export async function initializeDataSource(options: DataSourceOptions): Promise<DataSource> {
  const dataSource = new DataSource(options);
  const driver = dataSource.driver as unknown as PostgresDriverInternals;
  const createPool = driver.createPool.bind(driver);
  driver.createPool = async (opts, credentials) => {
    try {
      return await createPool(opts, credentials);
    } catch (error) {
      if (!opts.replication || credentials === opts.replication.master) throw error;
      logger.warn(
        `replica unreachable at start-up (${(error as { code?: string }).code ?? 'error'}); reads use the primary until it returns`,
      );
      const pool = new driver.postgres.Pool({
        connectionString: credentials.url,
        connectionTimeoutMillis: opts.connectTimeoutMS,
        max: opts.poolSize,
        ...opts.extra,
      });
      pool.on('error', () => undefined);
      return pool;
    }
  };
  return dataSource.initialize();
}
