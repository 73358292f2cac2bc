import { Injectable } from '@nestjs/common';
import { IdempotencyKeysRepository } from '../repositories/idempotency-keys.repository.js';

/** Keys are answered for at least 24 hours; older ones are removed by the worker's housekeeping. */
export const MIN_KEY_RETENTION_SECONDS = 24 * 3600;

@Injectable()
export class IdempotencyRetention {
  constructor(private readonly keys: IdempotencyKeysRepository) {}

  /** Removes keys older than `retentionSeconds` (never less than 24 hours); keys removed. */
  purge(retentionSeconds: number): Promise<number> {
    return this.keys.purgeOlderThan(Math.max(retentionSeconds, MIN_KEY_RETENTION_SECONDS));
  }
}
