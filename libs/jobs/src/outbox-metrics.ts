import { Gauge, type Registry } from 'prom-client';
import type { QueueAdmin } from './queue-admin.service.js';

type Backlog = { pending: number; oldestPendingSeconds: number };

/** The outbox backlog as two gauges, read with one query per scrape (-1 when the database did not answer). */
export function registerOutboxMetrics(registry: Registry, queues: QueueAdmin): void {
  let backlog: Promise<Backlog> | null = null;
  const read = (): Promise<Backlog> => (backlog ??= queues.outboxBacklog().finally(() => setImmediate(() => (backlog = null))));
  new Gauge({
    name: 'outbox_pending_events',
    help: 'Outbox events not relayed yet (-1: the database did not answer)',
    registers: [registry],
    async collect(this: Gauge) {
      this.set((await read().catch(() => ({ pending: -1 }))).pending);
    },
  });
  new Gauge({
    name: 'outbox_oldest_pending_seconds',
    help: 'Age of the oldest outbox event not relayed yet (-1: the database did not answer)',
    registers: [registry],
    async collect(this: Gauge) {
      this.set((await read().catch(() => ({ oldestPendingSeconds: -1 }))).oldestPendingSeconds);
    },
  });
}
