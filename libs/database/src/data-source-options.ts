import type { DataSourceOptions } from 'typeorm';
import type { AppConfig } from '@app/common';
import { MIGRATIONS } from './migrations/index.js';
import { TypeOrmLogger } from './typeorm-logger.js';

type DbConfig = AppConfig['database'];

/**
 * Primary + replica through TypeORM replication. `defaultMode: 'master'` keeps every query on
 * the primary unless code asks for the replica explicitly (ReplicaReader): reading your own
 * writes is the default, lag is opt-in.
 */
export function buildDataSourceOptions(
  db: DbConfig,
  extra: { entities?: DataSourceOptions['entities']; applicationName?: string } = {},
): DataSourceOptions {
  const pgOptions = {
    // Each session gets a server-side statement timeout so a runaway query cannot pin a connection.
    options: `-c statement_timeout=${db.statementTimeoutMs}`,
    // And a client-side one a little longer, for when the server cannot enforce it: behind a network
    // partition a query on a pooled connection would otherwise wait for an answer forever (the
    // request never answered). It fails as "unavailable" (503). TCP keepalive finds dead peers.
    query_timeout: db.statementTimeoutMs + 2_000,
    keepAlive: true,
    application_name: extra.applicationName ?? 'nest-commerce',
  };
  return {
    type: 'postgres',
    replication: {
      master: { url: db.primaryUrl },
      slaves: db.replicaUrl ? [{ url: db.replicaUrl }] : [],
      defaultMode: 'master',
    },
    entities: extra.entities ?? [],
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    connectTimeoutMS: 3000,
    poolSize: db.poolSize,
    extra: { ...pgOptions, max: db.poolSize, idleTimeoutMillis: 30_000 },
    logger: new TypeOrmLogger(),
    maxQueryExecutionTime: 1000,
  };
}
