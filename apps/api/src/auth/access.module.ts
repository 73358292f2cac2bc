import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { IdentityModule } from '@app/identity';
import { ThrottlingModule } from '../throttling/throttling.module.js';
import { RequestAuthenticator } from './request-authenticator.service.js';
import { RequestGuard } from './request.guard.js';
import { RolesGuard } from './roles.guard.js';

/**
 * The app-wide guards: RequestGuard (rate limits shared by all instances through Redis, and access
 * token + live session, checked concurrently), then RolesGuard.
 */
@Module({
  imports: [IdentityModule, ThrottlingModule],
  providers: [RequestAuthenticator, { provide: APP_GUARD, useClass: RequestGuard }, { provide: APP_GUARD, useClass: RolesGuard }],
})
export class AccessModule {}
