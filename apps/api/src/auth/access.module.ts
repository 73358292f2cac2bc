import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { IdentityModule } from '@app/identity';
import { ApiThrottlerGuard } from '../throttling/api-throttler.guard.js';
import { ThrottlingModule } from '../throttling/throttling.module.js';
import { RequestAuthenticator } from './request-authenticator.service.js';
import { RequestGuard } from './request.guard.js';
import { RolesGuard } from './roles.guard.js';

/**
 * The app-wide guards, in this order: @nestjs/throttler's ThrottlerGuard (ApiThrottlerGuard: rate limits
 * shared by all instances through Redis, configured in ThrottlingModule; first, so a 429 wins over
 * a 401), RequestGuard (access token + live session), then RolesGuard.
 */
@Module({
  imports: [IdentityModule, ThrottlingModule],
  providers: [
    RequestAuthenticator,
    { provide: APP_GUARD, useClass: ApiThrottlerGuard },
    { provide: APP_GUARD, useClass: RequestGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
  ],
})
export class AccessModule {}
