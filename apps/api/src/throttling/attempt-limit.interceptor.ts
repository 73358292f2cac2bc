import {
  applyDecorators,
  Inject,
  Injectable,
  SetMetadata,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { catchError, mergeMap, type Observable } from 'rxjs';
import { APP_CONFIG, type AppConfig } from '@app/common';
import type { AuthUser } from '../auth/auth-user.js';
import { RouteMetadata } from '../auth/route-metadata.js';
import { AttemptLimiter, AttemptsExhausted, type Attempt } from './attempt-limiter.service.js';
import { ATTEMPT_POLICIES, type AttemptPolicyName } from './attempt-policies.js';
import { TooManyRequests } from './too-many-requests.js';

const ATTEMPT_POLICY = 'throttling:attemptPolicy';

/**
 * Limits a route's attempts by their outcome (see attempt-policies.ts): 429 with Retry-After when a
 * counter is exhausted; otherwise the handler runs and its result or error settles the counts.
 * Runs after the guards (the caller is known) and before validation (a 400 gives its count back).
 */
export const LimitAttempts = (policy: AttemptPolicyName): MethodDecorator =>
  applyDecorators(SetMetadata(ATTEMPT_POLICY, policy), UseInterceptors(AttemptLimitInterceptor));

@Injectable()
export class AttemptLimitInterceptor implements NestInterceptor {
  private readonly policies: RouteMetadata<AttemptPolicyName>;

  constructor(
    reflector: Reflector,
    private readonly limiter: AttemptLimiter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.policies = new RouteMetadata(reflector, ATTEMPT_POLICY);
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const name = this.policies.get(context);
    if (name === undefined || context.getType() !== 'http') return next.handle();
    const policy = ATTEMPT_POLICIES[name];
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest & { user?: AuthUser }>();
    // request.ip is undefined once the socket is gone; such a request still counts (as 'unknown').
    const plan = policy.plan(this.config, { ip: request.ip ?? 'unknown', body: request.body, userId: request.user?.id });
    if (plan === null) return next.handle();
    let attempt: Attempt;
    try {
      attempt = await this.limiter.begin(plan);
    } catch (error) {
      if (error instanceof AttemptsExhausted) throw new TooManyRequests(error.retryAfterSeconds);
      throw error;
    }
    return next.handle().pipe(
      mergeMap(async (value: unknown) => {
        await attempt.settle('success');
        return value;
      }),
      catchError(async (error: unknown) => {
        await attempt.settle(policy.outcomeOf(error));
        throw error;
      }),
    );
  }
}
