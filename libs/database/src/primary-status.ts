import { Injectable } from '@nestjs/common';

// After the primary failed to answer, reads go straight to the replica for this long instead of
// each paying a refused connect or, behind a network partition, a connect or query timeout.
const PRIMARY_RETRY_AFTER_MS = 2_000;

/**
 * What this process last saw of the primary, for reads that may fall back to the replica
 * (ReplicaReader.primaryFirst). A failure marks it down for a short while; any success, and every
 * committed transaction (so a writer reads its own write back from the primary), marks it up.
 */
@Injectable()
export class PrimaryStatus {
  private downUntil = 0;

  /** True while reads should skip the primary. */
  get suspectedDown(): boolean {
    return this.downUntil !== 0 && Date.now() < this.downUntil;
  }

  down(): void {
    this.downUntil = Date.now() + PRIMARY_RETRY_AFTER_MS;
  }

  up(): void {
    this.downUntil = 0;
  }
}
