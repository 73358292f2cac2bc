import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { IdentityModule } from '@app/identity';
import { ThrottlerGuard } from '../throttling/throttler-package.js';
import { ThrottlingModule } from '../throttling/throttling.module.js';
import { RequestAuthenticator } from './request-authenticator.service.js';
import { RequestGuard } from './request.guard.js';
import { RolesGuard } from './roles.guard.js';

/**
 * The app-wide guards, in this order: @nestjs/throttler's ThrottlerGuard as it ships (rate limits
 * shared by all instances through Redis, configured in ThrottlingModule; first, so a 429 wins over
 * a 401), RequestGuard (access token + live session), then RolesGuard.
 */
@Module({
  imports: [IdentityModule, ThrottlingModule],
  providers: [
    RequestAuthenticator,
    { provide: APP_GUARD, useClass: ThrottlerGuard },
    { provide: APP_GUARD, useClass: RequestGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
  ],
})
export class AccessModule {}
