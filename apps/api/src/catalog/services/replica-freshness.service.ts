import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { CacheService } from '@app/cache';
import { ReplicaReader } from '@app/database';

export type ListSource = 'replica' | 'primary';

// max(stored, ARGV[1]) for fixed-width upper-case 'XXXXXXXX/XXXXXXXX' LSNs (string order = LSN order).
export const LSN_SET_MAX_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if (not cur) or ARGV[1] > cur then redis.call('SET', KEYS[1], ARGV[1]) return 1 end
return 0`;

/**
 * Read-your-writes for catalog list reads served by the streaming replica.
 *
 * Every catalog write, after its transaction committed and BEFORE it bumps the `product-lists`
 * namespace version, stores the primary's WAL insert position (≥ its commit record) in Redis next
 * to that version (`{prefix}:product-lists:_lsn:commit`, only ever raised). A list loader runs only
 * on a cache miss, i.e. after it saw the bumped version, so it also sees that LSN. It then asks the
 * replica `pg_last_wal_replay_lsn() >= required` in one statement and runs the list query in the
 * next statement of the same session: replay only moves forward and the query takes its snapshot
 * after the check, so the replica's answer contains every write that returned before. Otherwise
 * (replica behind, replay paused, replica down, LSN unknown because Redis is unreachable) the list
 * is read from the primary. A missing key (first start, Redis flushed) is seeded with the primary's
 * current LSN, which is ≥ the commit LSN of every write that already returned.
 */
@Injectable()
export class ReplicaFreshness {
  private readonly logger = new Logger(ReplicaFreshness.name);
  private readonly key: string;
  /** Where list loads ran (tests and diagnostics). */
  readonly reads = { replica: 0, primary: 0, lagging: 0 };

  constructor(
    private readonly cache: CacheService,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly replicaReader: ReplicaReader,
  ) {
    this.key = commitLsnKey(cache);
    cache.client.defineCommand('catalogLsnMax', { numberOfKeys: 1, lua: LSN_SET_MAX_SCRIPT });
  }

  /** After a committed catalog write, before the list namespace is bumped. Never throws. */
  async recordWrite(): Promise<void> {
    try {
      const lsn = await this.primaryLsn();
      await this.storeMax(lsn);
    } catch (error) {
      // Redis is unreachable: list loaders cannot read the LSN either and use the primary.
      this.logger.warn(`could not record the commit LSN (${(error as Error).name})`);
    }
  }

  /** Runs a list read on the replica when it is provably fresh enough, else on the primary. */
  async read<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const required = await this.requiredLsn();
    if (required === null) return this.onPrimary(work);
    return this.replicaReader.read(async (manager, source) => {
      if (source === 'primary') return this.onPrimary(work);
      const [row] = (await manager.query('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok', [required])) as { ok: boolean | null }[];
      if (row?.ok !== true) {
        this.reads.lagging++;
        return this.onPrimary(work);
      }
      this.reads.replica++;
      return work(manager);
    });
  }

  private onPrimary<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    this.reads.primary++;
    return work(this.dataSource.manager);
  }

  /** The LSN every list read must include, or null when it cannot be known (read the primary). */
  private async requiredLsn(): Promise<string | null> {
    let stored: string | null;
    try {
      stored = await this.cache.client.get(this.key);
    } catch {
      return null;
    }
    if (stored) return stored;
    try {
      const lsn = await this.primaryLsn();
      await this.storeMax(lsn);
      return lsn;
    } catch {
      return null;
    }
  }

  private async primaryLsn(): Promise<string> {
    const [row] = (await this.dataSource.query('SELECT pg_current_wal_insert_lsn()::text AS lsn')) as { lsn: string }[];
    return normalizeLsn(row!.lsn);
  }

  private async storeMax(lsn: string): Promise<void> {
    await (this.cache.client as unknown as { catalogLsnMax(key: string, lsn: string): Promise<number> }).catalogLsnMax(this.key, lsn);
  }
}

/** '0/3A4F2B8' → '00000000/03A4F2B8': fixed width, so string comparison is LSN comparison. */
export function normalizeLsn(lsn: string): string {
  const [hi = '0', lo = '0'] = lsn.split('/');
  return `${hi.toUpperCase().padStart(8, '0')}/${lo.toUpperCase().padStart(8, '0')}`;
}

/** Where the last catalog commit LSN lives: next to the product-lists namespace version. */
export function commitLsnKey(cache: CacheService): string {
  return cache.keys.internal('lsn', 'product-lists', 'commit');
}
