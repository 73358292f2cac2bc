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

  /** On a replica session (`manager`): has it replayed at least `lsn`? */
  async replayedAtLeast(manager: EntityManager, lsn: string): Promise<boolean> {
    const [row] = await manager.query<{ ok: boolean | null }[]>('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok', [lsn]);
    return row?.ok === true;
  }
}

/** '0/3A4F2B8' → '00000000/03A4F2B8': fixed width, so string comparison is LSN comparison. */
export function normalizeLsn(lsn: string): string {
  const [hi = '0', lo = '0'] = lsn.split('/');
  return `${hi.toUpperCase().padStart(8, '0')}/${lo.toUpperCase().padStart(8, '0')}`;
}
