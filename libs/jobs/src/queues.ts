import type { DefaultJobOptions } from 'bullmq';

/** The job queues. Every queue's jobs are listed by GET /api/v1/admin/queues. */
export const QUEUES = {
  /** Units sold per product (order placed / cancelled, product deleted). */
  bestsellers: 'bestsellers',
  /** Product cache refresh after stock changes. */
  catalogCache: 'catalog-cache',
  /** Schedules: payment expiry, housekeeping, cache warming. */
  maintenance: 'maintenance',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];
export const QUEUE_NAMES: readonly QueueName[] = Object.values(QUEUES);

/** Which queues receive each outbox event type (an event no queue subscribes to is only marked relayed). */
export const EVENT_ROUTES: Readonly<Record<string, readonly QueueName[]>> = {
  'order.placed': [QUEUES.bestsellers, QUEUES.catalogCache],
  'order.cancelled': [QUEUES.bestsellers, QUEUES.catalogCache],
  'order.status-changed': [],
  'catalog.stock-changed': [QUEUES.catalogCache],
  'catalog.product-deleted': [QUEUES.bestsellers],
};

/** Names of the scheduled maintenance jobs. */
export const MAINTENANCE_JOBS = { paymentExpiry: 'payment-expiry', housekeeping: 'housekeeping', warmCache: 'warm-cache' } as const;

/** What a relayed event job carries: the outbox event id (also the job id) and its payload. */
export interface EventJobData<T = unknown> {
  eventId: string;
  payload: T;
}

/** Retries with exponential backoff; completed jobs are kept an hour, failed ones a week (retry-failed). */
export function defaultJobOptions(attempts: number): DefaultJobOptions {
  return {
    attempts,
    backoff: { type: 'exponential', delay: 1_000 },
    removeOnComplete: { age: 3_600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3_600 },
  };
}
