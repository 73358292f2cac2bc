import { Inject, Injectable } from '@nestjs/common';
import { BestsellersService } from '@app/catalog';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { OutboxRepository } from '@app/database';
import { SessionService } from '@app/identity';
import { IdempotencyRetention } from '@app/orders';

export interface HousekeepingReport {
  sessions: number;
  idempotencyKeys: number;
  outboxRows: number;
  rankedProducts: number;
}

/** Purges what is past its retention, and republishes the bestseller ranking from Postgres. */
@Injectable()
export class Housekeeping {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sessions: SessionService,
    private readonly keys: IdempotencyRetention,
    private readonly outbox: OutboxRepository,
    private readonly bestsellers: BestsellersService,
  ) {}

  async run(): Promise<HousekeepingReport> {
    const retention = this.config.worker.retentionHours * 3600;
    return {
      sessions: await this.sessions.purgeEnded(retention),
      idempotencyKeys: await this.keys.purge(this.config.orders.idempotencyKeyRetentionHours * 3600),
      outboxRows: await this.outbox.purge(retention),
      rankedProducts: await this.bestsellers.rebuildRanking(),
    };
  }
}
