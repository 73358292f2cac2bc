import { getQueueToken } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Queue } from 'bullmq';
import { raceDeadline, withTimeout } from '@app/cache';
import { NotFoundError, UnavailableError } from '@app/common';
import { OutboxRepository } from '@app/database';
import { QUEUE_NAMES, type QueueName } from './queues.js';

export interface QueueCounts {
  name: string;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
}

const TIMEOUT_MS = 3_000;
const READY_TIMEOUT_MS = 500;

/** What an operator sees of the queues and the outbox, and the retry of failed jobs. */
@Injectable()
export class QueueAdmin {
  private readonly queues: Map<string, Queue>;

  constructor(
    moduleRef: ModuleRef,
    private readonly outbox: OutboxRepository,
  ) {
    this.queues = new Map(QUEUE_NAMES.map((name) => [name, moduleRef.get<Queue>(getQueueToken(name), { strict: false })]));
  }

  queue(name: QueueName): Queue {
    return this.queues.get(name)!;
  }

  /** Whether every queue's Redis connection is up (the relay does not claim rows it cannot enqueue). */
  connected(): Promise<boolean> {
    const ready = Promise.all([...this.queues.values()].map((q) => q.waitUntilReady())).then(
      () => true,
      () => false,
    );
    return raceDeadline(ready, READY_TIMEOUT_MS, () => false);
  }

  async counts(): Promise<QueueCounts[]> {
    return Promise.all(
      [...this.queues].map(async ([name, queue]) => {
        const c = await bounded(
          queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized', 'waiting-children'),
        );
        return {
          name,
          waiting: (c.waiting ?? 0) + (c.prioritized ?? 0) + (c['waiting-children'] ?? 0),
          active: c.active ?? 0,
          delayed: c.delayed ?? 0,
          failed: c.failed ?? 0,
          completed: c.completed ?? 0,
        };
      }),
    );
  }

  outboxBacklog(): Promise<{ pending: number; oldestPendingSeconds: number }> {
    return this.outbox.pendingStats();
  }

  /** Moves every failed job of the queue back to waiting; how many. */
  async retryFailed(name: string): Promise<number> {
    const queue = this.queues.get(name);
    if (!queue) throw new NotFoundError(`queue ${name} not found`);
    let retried = 0;
    for (;;) {
      const failed = await bounded(queue.getFailed(0, 999));
      if (failed.length === 0) return retried;
      for (const job of failed) {
        await bounded(job.retry('failed'));
        retried++;
      }
    }
  }
}

/** Queue calls fail fast when Redis is unreachable (an answer, never a hung request). */
async function bounded<T>(work: Promise<T>): Promise<T> {
  try {
    return await withTimeout(work, TIMEOUT_MS);
  } catch {
    throw new UnavailableError('queues: Redis is unavailable');
  }
}
