import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { DatabaseProbeRepository } from '@app/database';

const CHECK_TIMEOUT_MS = 2000;

/** Primary and replica reported separately: the replica being down only degrades readiness. */
@Injectable()
export class DatabaseHealth {
  constructor(
    private readonly probe: DatabaseProbeRepository,
    private readonly indicators: HealthIndicatorService,
  ) {}

  primary(): PromiseLike<HealthIndicatorResult<'postgresPrimary'>> {
    return this.indicators
      .check('postgresPrimary')
      .attempt(async () => {
        if (!(await this.probe.primaryWritable())) throw new Error('primary is in recovery');
      })
      .withTimeout(CHECK_TIMEOUT_MS);
  }

  async replica(): Promise<HealthIndicatorResult<'postgresReplica'>> {
    const check = this.indicators.check('postgresReplica');
    if (!this.probe.hasReplica) return check.up({ configured: false });
    const started = Date.now();
    try {
      const state = await this.probe.replicaState(CHECK_TIMEOUT_MS);
      if (!state?.inRecovery) return check.degraded({ message: 'replica is not in recovery mode' });
      return check.up({ responseTime: Date.now() - started, lagSeconds: Number(state.lagSeconds.toFixed(3)) });
    } catch {
      // Reads fall back to the primary, so the service still serves: degraded, not down.
      return check.degraded({ message: 'replica unreachable; reads use the primary' });
    }
  }
}
