import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { DatabaseProbeRepository } from '@app/database';

const CHECK_TIMEOUT_MS = 2000;

/** A replica result, and whether a Postgres server answered at all (for the readiness decision). */
export interface ReplicaCheck {
  result: HealthIndicatorResult<'postgresReplica'>;
  /** A configured replica answered (in recovery or not). */
  reachable: boolean;
  configured: boolean;
}

/** Primary and replica reported separately, each `up` or `down`; readiness decides what that means. */
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

  async replica(): Promise<ReplicaCheck> {
    const check = this.indicators.check('postgresReplica');
    if (!this.probe.hasReplica) return { result: check.up({ configured: false }), reachable: false, configured: false };
    const started = Date.now();
    try {
      const state = await this.probe.replicaState(CHECK_TIMEOUT_MS);
      if (!state?.inRecovery)
        return { result: check.down({ message: 'replica is not in recovery mode' }), reachable: true, configured: true };
      return {
        result: check.up({ responseTime: Date.now() - started, lagSeconds: Number(state.lagSeconds.toFixed(3)) }),
        reachable: true,
        configured: true,
      };
    } catch {
      // Lag-tolerant reads fall back to the primary, so the service still serves: down, but ready.
      return { result: check.down({ message: 'replica unreachable; reads use the primary' }), reachable: false, configured: true };
    }
  }
}
