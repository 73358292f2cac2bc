import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { isDatabaseUnavailable } from './pg-errors.js';
import { PrimaryStatus } from './primary-status.js';

// After a replica failure, go straight to the primary for this long instead of paying a
// failed connect on every read.
const REPLICA_RETRY_AFTER_MS = 5_000;
const LOG_EVERY_MS = 10_000;

export type ReadSource = 'replica' | 'primary';

/**
 * The one way to run lag-tolerant reads (catalog lists, search, history pages) on the replica.
 * It always releases its query runner, and falls back to the primary when the replica is
 * missing or unreachable. Never use it for data the caller has just written.
 */
@Injectable()
export class ReplicaReader {
  private readonly logger = new Logger(ReplicaReader.name);
  private replicaDownUntil = 0;
  private lastPrimaryWarning = 0;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly primary: PrimaryStatus,
  ) {}

  get hasReplica(): boolean {
    const replication = (this.dataSource.options as { replication?: { slaves?: unknown[] } }).replication;
    return (replication?.slaves?.length ?? 0) > 0;
  }

  async read<T>(work: (manager: EntityManager, source: ReadSource) => Promise<T>): Promise<T> {
    if (!this.hasReplica || Date.now() < this.replicaDownUntil) {
      return work(this.dataSource.manager, 'primary');
    }
    const runner = this.dataSource.createQueryRunner('slave');
    try {
      try {
        await runner.connect();
      } catch (error) {
        this.markDown(error);
        return await work(this.dataSource.manager, 'primary');
      }
      try {
        return await work(runner.manager, 'replica');
      } catch (error) {
        if (!isDatabaseUnavailable(error)) throw error;
        this.markDown(error);
        return await work(this.dataSource.manager, 'primary');
      }
    } finally {
      await runner.release().catch(() => undefined);
    }
  }

  /**
   * Runs a read on the primary; when the primary cannot be reached, on the replica instead. A
   * replica answer may be behind the primary, so `source` tells the caller which one answered
   * (e.g. to serve it without caching it). When there is no replica, or it cannot be reached
   * either, the primary's error is thrown. For a moment after the primary failed (PrimaryStatus),
   * reads go to the replica first, so an outage costs one timeout per few seconds, not one per read.
   */
  async primaryFirst<T>(work: (manager: EntityManager, source: ReadSource) => Promise<T>): Promise<{ value: T; source: ReadSource }> {
    if (this.hasReplica && this.primary.suspectedDown) {
      const replica = await this.onReplica(work);
      if (replica.reached) return { value: replica.value, source: 'replica' };
    }
    try {
      const value = await work(this.dataSource.manager, 'primary');
      this.primary.up();
      return { value, source: 'primary' };
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      this.primary.down();
      return { value: await this.onReplicaInstead(work, error), source: 'replica' };
    }
  }

  /**
   * Runs `work` on the replica because the primary failed with `primaryError` (an unavailability).
   * Tried even while the replica is marked down (there is nowhere else to go); if it cannot be
   * reached either, `primaryError` is thrown.
   */
  private async onReplicaInstead<T>(work: (manager: EntityManager, source: ReadSource) => Promise<T>, primaryError: unknown): Promise<T> {
    if (!this.hasReplica) throw primaryError;
    this.warnPrimaryDown(primaryError);
    const replica = await this.onReplica(work);
    if (!replica.reached) throw primaryError;
    return replica.value;
  }

  /** `work` on a replica session; `reached: false` when the replica cannot be reached. */
  private async onReplica<T>(
    work: (manager: EntityManager, source: ReadSource) => Promise<T>,
  ): Promise<{ reached: true; value: T } | { reached: false }> {
    const runner = this.dataSource.createQueryRunner('slave');
    try {
      await runner.connect();
      return { reached: true, value: await work(runner.manager, 'replica') };
    } catch (error) {
      if (isDatabaseUnavailable(error)) return { reached: false };
      throw error;
    } finally {
      await runner.release().catch(() => undefined);
    }
  }

  private warnPrimaryDown(error: unknown): void {
    const now = Date.now();
    if (now - this.lastPrimaryWarning < LOG_EVERY_MS) return;
    this.lastPrimaryWarning = now;
    this.logger.warn(`primary unavailable, reading from the replica: ${(error as Error).message}`);
  }

  private markDown(error: unknown): void {
    this.replicaDownUntil = Date.now() + REPLICA_RETRY_AFTER_MS;
    this.logger.warn(`replica unavailable, reading from the primary: ${(error as Error).message}`);
  }
}
