import { Inject, Injectable, Logger } from '@nestjs/common';
import pg from 'pg';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { OUTBOX_CHANNEL } from './outbox.repository.js';

export interface OutboxSubscription {
  close(): Promise<void>;
}

const RECONNECT_DELAY_MS = 1_000;

/**
 * LISTEN on the outbox channel over a connection of its own (a pooled connection cannot keep a
 * LISTEN). Reconnects after a failure; notifications sent while it is down are lost, which only
 * delays: the relay also polls.
 */
@Injectable()
export class OutboxListenerRepository {
  private readonly logger = new Logger(OutboxListenerRepository.name);

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async listen(onNotify: () => void): Promise<OutboxSubscription> {
    let client: pg.Client | null = null;
    let closed = false;
    let retry: NodeJS.Timeout | undefined;
    const connect = async (): Promise<void> => {
      const next = new pg.Client({ connectionString: this.config.database.primaryUrl, application_name: 'outbox-listener' });
      next.on('notification', () => onNotify());
      next.on('error', (error) => {
        this.logger.warn(
          `outbox listener lost its connection (${(error as { code?: string }).code ?? error.name}); polling until it is back`,
        );
        void next.end().catch(() => undefined);
        schedule();
      });
      try {
        await next.connect();
        await next.query(`LISTEN ${OUTBOX_CHANNEL}`);
      } catch (error) {
        void next.end().catch(() => undefined);
        throw error;
      }
      if (closed) {
        await next.end().catch(() => undefined);
        return;
      }
      client = next;
      onNotify(); // events committed while we were not listening
    };
    const schedule = (): void => {
      client = null;
      if (closed || retry) return;
      retry = setTimeout(() => {
        retry = undefined;
        connect().catch(() => schedule());
      }, RECONNECT_DELAY_MS);
    };
    await connect().catch((error: unknown) => {
      this.logger.warn(`outbox listener not connected (${(error as Error).message}); polling until it is`);
      schedule();
    });
    return {
      close: async () => {
        closed = true;
        clearTimeout(retry);
        const current = client;
        client = null;
        await current?.end().catch(() => undefined);
      },
    };
  }
}
