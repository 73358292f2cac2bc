import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { withTimeout } from '@app/cache';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { OutboxListenerRepository, OutboxRepository, Transactions, type OutboxEvent, type OutboxSubscription } from '@app/database';
import { EVENT_ROUTES, QueueAdmin, type EventJobData, type QueueName } from '@app/jobs';
import { WorkerMetrics } from '../metrics/worker-metrics.service.js';

const BATCH = 200;
const ENQUEUE_TIMEOUT_MS = 5_000;

/**
 * Moves committed outbox events into the job queues. Woken by NOTIFY (sent by the committing
 * transaction) and by a poll timer, so a lost notification only delays. Each round claims pending
 * rows with FOR UPDATE SKIP LOCKED (any number of relays share the work), enqueues them with the
 * event id as the job id and marks them relayed in the same transaction: a relay that dies after
 * enqueueing but before committing leaves the rows pending, and the repeat enqueue of an existing
 * job id is ignored by BullMQ (handlers are idempotent for the rare repeat after a job was removed).
 * When Redis is unreachable the round fails, the rows stay pending and the next poll retries.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private subscription: OutboxSubscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private wakeAgain = false;
  private stopped = false;
  private lastErrorLog = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly transactions: Transactions,
    private readonly outbox: OutboxRepository,
    private readonly listener: OutboxListenerRepository,
    private readonly queues: QueueAdmin,
    private readonly metrics: WorkerMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.worker.relayEnabled) return;
    this.subscription = await this.listener.listen(() => this.wake());
    this.timer = setInterval(() => this.wake(), this.config.worker.outboxPollIntervalMs);
    this.wake();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.subscription?.close();
    await this.running;
  }

  /** Runs rounds until the outbox is empty; a wake during a run runs another pass afterwards. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.wakeAgain = true;
      return;
    }
    this.running = this.drain().finally(() => (this.running = null));
  }

  /** Resolves once everything pending when it was called has been relayed (or a round failed). */
  async drain(): Promise<void> {
    do {
      this.wakeAgain = false;
      try {
        while (!this.stopped && (await this.relayRound()) === BATCH);
      } catch (error) {
        this.metrics.relayErrors.inc();
        if (Date.now() - this.lastErrorLog > 10_000) {
          this.lastErrorLog = Date.now();
          this.logger.warn(`outbox relay round failed, events stay pending: ${(error as Error).message}`);
        }
        return;
      }
    } while (this.wakeAgain && !this.stopped);
  }

  /** One transaction: claim, enqueue, mark relayed. The number of events claimed. */
  private async relayRound(): Promise<number> {
    // Claiming rows while the queues are unreachable would only hold them from other relays.
    if (!(await this.queues.connected())) throw new Error('the queues (Redis) are not connected');
    return this.transactions.run(async (tx) => {
      const events = await this.outbox.claimPending(tx.manager, BATCH);
      if (events.length === 0) return 0;
      await this.enqueue(events);
      await this.outbox.markRelayed(
        tx.manager,
        events.map((e) => e.id),
      );
      const now = Date.now();
      for (const event of events) this.metrics.relayDelay.observe((now - event.createdAt.getTime()) / 1000);
      this.metrics.relayed.inc(events.length);
      return events.length;
    });
  }

  private async enqueue(events: readonly OutboxEvent[]): Promise<void> {
    const byQueue = new Map<QueueName, { name: string; data: EventJobData & { committedAt: number }; opts: { jobId: string } }[]>();
    for (const event of events) {
      const routes = EVENT_ROUTES[event.type];
      if (routes === undefined)
        this.logger.warn({ eventId: event.eventId, msg: `outbox event of unknown type ${event.type}: marked relayed, no queue takes it` });
      for (const queue of routes ?? []) {
        const jobs = byQueue.get(queue) ?? [];
        jobs.push({
          name: event.type,
          data: { eventId: event.eventId, payload: event.payload, committedAt: event.createdAt.getTime() },
          opts: { jobId: event.eventId },
        });
        byQueue.set(queue, jobs);
      }
    }
    await Promise.all([...byQueue].map(([queue, jobs]) => withTimeout(this.queues.queue(queue).addBulk(jobs), ENQUEUE_TIMEOUT_MS)));
  }
}
