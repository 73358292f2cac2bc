import { UnavailableError } from '@app/common';

interface Waiter {
  resolve: () => void;
  timer: NodeJS.Timeout;
}

/** Queue length per slot beyond which a request is refused at once (it would time out anyway). */
const QUEUE_PER_SLOT = 32;

/**
 * A counting semaphore for argon2 work: each hash or verify holds 19 MiB and a libuv thread for
 * tens of milliseconds, so a burst of registrations or logins could take the process's memory and
 * starve every other request of the thread pool. Beyond `size` operations at once a caller waits
 * up to `maxWaitMs` (in arrival order) for a slot, then gets an 'unavailable' error (503 with
 * Retry-After), as it does at once when the queue is full.
 */
export class HashSlots {
  private active = 0;
  private readonly queue: Waiter[] = [];
  private readonly maxQueue: number;

  constructor(
    readonly size: number,
    readonly maxWaitMs: number,
  ) {
    this.maxQueue = size * QUEUE_PER_SLOT;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  /** Operations running now, and callers waiting for a slot. */
  get load(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.queue.length };
  }

  private acquire(): Promise<void> | void {
    if (this.active < this.size) {
      this.active++;
      return;
    }
    if (this.maxWaitMs === 0 || this.queue.length >= this.maxQueue) throw busy();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        timer: setTimeout(() => {
          this.queue.splice(this.queue.indexOf(waiter), 1);
          reject(busy());
        }, this.maxWaitMs),
      };
      this.queue.push(waiter);
    });
  }

  /** Hands the slot straight to the next waiter (the count stays), or frees it. */
  private release(): void {
    const next = this.queue.shift();
    if (next === undefined) {
      this.active--;
      return;
    }
    clearTimeout(next.timer);
    next.resolve();
  }
}

function busy(): UnavailableError {
  return new UnavailableError('password hashing: too many at once; retry shortly', 1);
}
