import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

export interface ReplicaState {
  inRecovery: boolean;
  lagSeconds: number;
}

/** Health probes of the primary and the replica (readiness endpoints, worker start-up). */
@Injectable()
export class DatabaseProbeRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  get hasReplica(): boolean {
    const replication = (this.dataSource.options as { replication?: { slaves?: unknown[] } }).replication;
    return (replication?.slaves?.length ?? 0) > 0;
  }

  /** Resolves when the primary answers a query. */
  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }

  /** True when the primary answers and is not a standby. */
  async primaryWritable(): Promise<boolean> {
    const [row] = await this.dataSource.query<{ inRecovery: boolean }[]>('SELECT pg_is_in_recovery() AS "inRecovery"');
    return row !== undefined && !row.inRecovery;
  }

  /** The replica's recovery state and replay lag, on a connection of its own (always released). */
  async replicaState(timeoutMs: number): Promise<ReplicaState | null> {
    const runner = this.dataSource.createQueryRunner('slave');
    try {
      const query = runner.query(
        `SELECT pg_is_in_recovery() AS "inRecovery",
                CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                     ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END::float AS "lagSeconds"`,
      ) as Promise<ReplicaState[]>;
      const [row] = await withTimeout(query, timeoutMs);
      return row ?? null;
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
