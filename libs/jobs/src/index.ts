// Job queues shared by the API (visibility, retries) and the worker (relay, processors).
export { JobsModule } from './jobs.module.js';
export { QueueAdmin, type QueueCounts } from './queue-admin.service.js';
export { EVENT_ROUTES, MAINTENANCE_JOBS, QUEUE_NAMES, QUEUES, defaultJobOptions, type EventJobData, type QueueName } from './queues.js';
export { registerOutboxMetrics } from './outbox-metrics.js';
