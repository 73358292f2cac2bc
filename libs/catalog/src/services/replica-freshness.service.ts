import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { PrimaryStatus, ReplicaReader, WalPositionRepository, isDatabaseUnavailable } from '@app/database';
import { CommitLsnStore } from '../store/commit-lsn.store.js';
import { UncachedRead } from './uncached-read.js';

export type ListSource = 'replica' | 'primary';

/**
 * Read-your-writes for catalog list reads served by the streaming replica.
 *
 * Every catalog write, after its transaction committed and BEFORE it bumps the `product-lists`
 * namespace version, stores the primary's WAL insert position (≥ its commit record) in Redis next
 * to that version (CommitLsnStore, only ever raised). A list loader runs only on a cache miss,
 * i.e. after it saw the bumped version, so it also sees that LSN. It then asks the replica whether
 * it replayed that far in one statement and runs the list query in the next statement of the same
 * session: replay only moves forward and the query takes its snapshot after the check, so the
 * replica's answer contains every write that returned before. Otherwise (replica behind, replay
 * paused, replica down, LSN unknown because Redis is unreachable) the list is read from the
 * primary. A missing key (first start, Redis flushed) is seeded with the primary's current LSN,
 * which is ≥ the commit LSN of every write that already returned.
 *
 * While the primary cannot be reached, a list the replica cannot prove fresh is still read there
 * (writes fail meanwhile, so it can only miss writes acknowledged before the outage), but thrown as
 * UncachedRead: served, never cached, so it cannot outlive the outage.
 */
@Injectable()
export class ReplicaFreshness {
  private readonly logger = new Logger(ReplicaFreshness.name);
  /** Where list loads ran (diagnostics). */
  readonly reads = { replica: 0, primary: 0, lagging: 0, unverified: 0 };
  /** Commit LSNs list loads read from Redis, and took from an earlier load under the same version (diagnostics). */
  readonly commitLsnReads = { redis: 0, reused: 0 };
  /** The LSN read under a `product-lists` version (see requiredLsn). */
  private requiredFor: { version: number; lsn: string } | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly replicaReader: ReplicaReader,
    private readonly wal: WalPositionRepository,
    private readonly commitLsn: CommitLsnStore,
    private readonly primary: PrimaryStatus,
  ) {}

  /** After a committed catalog write, before the list namespace is bumped. Never throws. */
  async recordWrite(): Promise<void> {
    try {
      await this.commitLsn.raise(await this.wal.primaryInsertLsn());
    } catch (error) {
      // Redis is unreachable: list loaders cannot read the LSN either and use the primary.
      this.logger.warn(`could not record the commit LSN (${(error as Error).name})`);
    }
  }

  /**
   * Runs a list read on the replica when it is provably fresh enough, else on the primary.
   * `listsVersion`: the `product-lists` namespace version the caller's cache miss saw, if known.
   */
  async read<T>(work: (manager: EntityManager) => Promise<T>, listsVersion?: number): Promise<T> {
    const required = await this.requiredLsn(listsVersion);
    if (required === null) return this.onPrimary(work);
    return this.replicaReader.read(async (manager, source) => {
      if (source === 'primary') return this.onPrimary(work);
      if (!(await this.wal.replayedAtLeast(manager, required))) {
        this.reads.lagging++;
        return this.onPrimary(work, manager);
      }
      this.reads.replica++;
      return work(manager);
    });
  }

  /**
   * On the primary; if it cannot be reached, on the replica (the session at hand, or a new one) as
   * an UncachedRead. The primary's error is caught here, so ReplicaReader never takes it for a
   * replica failure.
   */
  private async onPrimary<T>(work: (manager: EntityManager) => Promise<T>, replica?: EntityManager): Promise<T> {
    this.reads.primary++;
    let value: T;
    if (!replica) {
      const read = await this.replicaReader.primaryFirst(work);
      if (read.source === 'primary') return read.value;
      value = read.value;
    } else if (this.primary.suspectedDown) {
      value = await work(replica);
    } else {
      try {
        const fromPrimary = await work(this.dataSource.manager);
        this.primary.up();
        return fromPrimary;
      } catch (error) {
        if (!isDatabaseUnavailable(error)) throw error;
        this.primary.down();
      }
      value = await work(replica);
    }
    this.reads.unverified++;
    throw new UncachedRead(value);
  }

  /**
   * The LSN every list read must include, or null when it cannot be known (read the primary).
   * An LSN read after a miss saw version V is ≥ the commit LSN of every write that bumped the
   * version up to V (a write records its LSN before it bumps), so later misses that see the same V
   * reuse it: while the catalog is not written, a list load asks Redis nothing for it.
   */
  private async requiredLsn(listsVersion: number | undefined): Promise<string | null> {
    const known = this.requiredFor;
    if (listsVersion !== undefined && known?.version === listsVersion) {
      this.commitLsnReads.reused++;
      return known.lsn;
    }
    this.commitLsnReads.redis++;
    let lsn: string | null;
    try {
      lsn = await this.commitLsn.get();
    } catch {
      return null;
    }
    if (!lsn) {
      try {
        lsn = await this.wal.primaryInsertLsn();
        await this.commitLsn.raise(lsn);
      } catch {
        return null;
      }
    }
    if (listsVersion !== undefined) this.requiredFor = { version: listsVersion, lsn };
    return lsn;
  }
}
