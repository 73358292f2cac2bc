import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { PrimaryStatus } from './primary-status.js';

type AfterCommit = () => unknown;

/**
 * A unit of work on the primary. Repositories take `tx.manager` to join it; services register
 * what must only happen once the data is durable (cache invalidation, counters, waking the outbox
 * relay) with `afterCommit`, so nothing is published for a write that rolled back.
 */
export interface Transaction {
  readonly manager: EntityManager;
  afterCommit(callback: AfterCommit): void;
}

class UnitOfWork implements Transaction {
  readonly callbacks: AfterCommit[] = [];
  constructor(readonly manager: EntityManager) {}
  afterCommit(callback: AfterCommit): void {
    this.callbacks.push(callback);
  }
}

/** The one way to run a transaction: `run(work)` or, to join the caller's, `run(work, tx)`. */
@Injectable()
export class Transactions {
  private readonly logger = new Logger(Transactions.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly primary: PrimaryStatus,
  ) {}

  /**
   * Runs `work` in a new transaction on the primary, then, after COMMIT, its after-commit callbacks
   * in registration order (each awaited, so the caller returns once caches follow the write). With
   * `outer`, `work` runs inside that transaction instead and its callbacks wait for the outer commit.
   * A failing callback does not undo the commit: the others still run, then the first error is thrown.
   */
  async run<T>(work: (tx: Transaction) => Promise<T>, outer?: Transaction): Promise<T> {
    if (outer) return work(outer);
    let unit!: UnitOfWork;
    const result = await this.dataSource.transaction((manager) => {
      unit = new UnitOfWork(manager);
      return work(unit);
    });
    // The primary answers: reads that fall back to the replica go back to it (the writer's own
    // read-back among them).
    this.primary.up();
    let failure: unknown;
    for (const callback of unit.callbacks) {
      try {
        await callback();
      } catch (error) {
        this.logger.warn(`after-commit step failed: ${(error as Error)?.message ?? String(error)}`);
        failure ??= error;
      }
    }
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- the first after-commit failure, unchanged
    if (failure !== undefined) throw failure;
    return result;
  }
}
