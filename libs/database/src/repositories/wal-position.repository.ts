import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';

/** WAL positions of the primary and the replica, for read-your-writes on replica reads. */
@Injectable()
export class WalPositionRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The primary's WAL insert position, fixed width ('00000000/03A4F2B8'): ≥ every commit that returned. */
  async primaryInsertLsn(): Promise<string> {
    const [row] = await this.dataSource.query<{ lsn: string }[]>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
    return normalizeLsn(row.lsn);
  }

  /**
   * The replay position each replica connection last reported. Replay only moves forward while the
   * server runs, and a server restart ends the connection (and the entry with it), so a connection
   * that reported `x` replayed will show every write up to `x` in its next statements: list reads
   * skip the check statement (a round trip and most of the replica's work for a small list) until
   * a write raises the position they need. Like the check itself, this relies on a connection
   * reaching one server process for its life (a direct connection, a TCP balancer, PgBouncer in
   * session mode).
   */
  private readonly replayedBy = new WeakMap<object, string>();
  /** Replay checks answered by a statement and from a connection's last report (diagnostics). */
  readonly replayChecks = { queried: 0, remembered: 0 };

  /** On a replica session (`manager`): has it replayed at least `lsn`? */
  async replayedAtLeast(manager: EntityManager, lsn: string): Promise<boolean> {
    const wanted = normalizeLsn(lsn);
    // The pg client of the session (PostgresQueryRunner; the QueryRunner interface does not declare it).
    const connection = (manager.queryRunner as { databaseConnection?: object } | undefined)?.databaseConnection;
    const known = connection === undefined ? undefined : this.replayedBy.get(connection);
    if (known !== undefined && known >= wanted) {
      this.replayChecks.remembered++;
      return true;
    }
    this.replayChecks.queried++;
    const [row] = await manager.query<{ lsn: string | null }[]>('SELECT pg_last_wal_replay_lsn()::text AS lsn');
    // NULL: a server started without recovery (a primary): it is not replaying anything.
    if (!row?.lsn) return false;
    const replayed = normalizeLsn(row.lsn);
    if (connection !== undefined) this.replayedBy.set(connection, replayed);
    return replayed >= wanted;
  }
}

/** '0/3A4F2B8' → '00000000/03A4F2B8': fixed width, so string comparison is LSN comparison. */
export function normalizeLsn(lsn: string): string {
  const [hi = '0', lo = '0'] = lsn.split('/');
  return `${hi.toUpperCase().padStart(8, '0')}/${lo.toUpperCase().padStart(8, '0')}`;
}
