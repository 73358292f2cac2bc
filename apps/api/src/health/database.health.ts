import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

const CHECK_TIMEOUT_MS = 2000;

/** Primary and replica reported separately: the replica being down only degrades readiness. */
@Injectable()
export class DatabaseHealth {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly indicators: HealthIndicatorService,
  ) {}

  primary(): PromiseLike<HealthIndicatorResult<'postgresPrimary'>> {
    return this.indicators
      .check('postgresPrimary')
      .attempt(async () => {
        const [row] = (await this.dataSource.query('SELECT pg_is_in_recovery() AS "inRecovery"')) as { inRecovery: boolean }[];
        if (row?.inRecovery) throw new Error('primary is in recovery');
      })
      .withTimeout(CHECK_TIMEOUT_MS);
  }

  async replica(): Promise<HealthIndicatorResult<'postgresReplica'>> {
    const check = this.indicators.check('postgresReplica');
    const replication = (this.dataSource.options as { replication?: { slaves?: unknown[] } }).replication;
    if (!replication?.slaves?.length) return check.up({ configured: false });
    const started = Date.now();
    const runner = this.dataSource.createQueryRunner('slave');
    try {
      const query = runner.query(
        `SELECT pg_is_in_recovery() AS "inRecovery",
                CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                     ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END::float AS "lagSeconds"`,
      ) as Promise<{ inRecovery: boolean; lagSeconds: number }[]>;
      const [row] = await withTimeout(query, CHECK_TIMEOUT_MS);
      if (!row?.inRecovery) return check.degraded({ message: 'replica is not in recovery mode' });
      return check.up({ responseTime: Date.now() - started, lagSeconds: Number(row.lagSeconds.toFixed(3)) });
    } catch {
      // Reads fall back to the primary, so the service still serves: degraded, not down.
      return check.degraded({ message: 'replica unreachable; reads use the primary' });
    } finally {
      await runner.release().catch(() => undefined);
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
