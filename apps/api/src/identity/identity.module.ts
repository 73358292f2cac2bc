import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CacheService } from '@app/cache';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { AuthController } from './controllers/auth.controller.js';
import { SessionsController } from './controllers/sessions.controller.js';
import { UsersController } from './controllers/users.controller.js';
import { SessionEntity } from './entities/session.entity.js';
import { UserEntity } from './entities/user.entity.js';
import { RequestGuard } from './guards/request.guard.js';
import { RolesGuard } from './guards/roles.guard.js';
import { AdminBootstrap } from './services/admin-bootstrap.js';
import { AuthService } from './services/auth-service.js';
import { GuestCartHook } from './services/guest-cart-hook.js';
import { PasswordHasher } from './services/password-hasher.js';
import { RequestAuthenticator } from './services/request-authenticator.js';
import { RefreshTokenService } from './services/refresh-token-service.js';
import { SessionCache } from './services/session-cache.js';
import { SessionService } from './services/session-service.js';
import { TokenService } from './services/token-service.js';
import { UsersService } from './services/users-service.js';
import { buildThrottlers } from './throttling/login-throttle.js';
import { RateLimiter } from './throttling/rate-limiter.js';
import { RATE_LIMITS, RATE_LIMIT_STORAGE } from './throttling/rate-limit.tokens.js';
import { RedisThrottlerStorage } from './throttling/redis-throttler-storage.js';

/**
 * Users, sessions and tokens, plus the app-wide guards: RequestGuard (rate limits shared by all
 * instances through Redis, and access token + live session, checked concurrently), then
 * RolesGuard. Other modules use UsersService and SessionService, never identity's tables or keys.
 */
@Module({
  imports: [TypeOrmModule.forFeature([UserEntity, SessionEntity])],
  controllers: [AuthController, SessionsController, UsersController],
  providers: [
    PasswordHasher,
    TokenService,
    RefreshTokenService,
    SessionCache,
    SessionService,
    UsersService,
    GuestCartHook,
    AuthService,
    AdminBootstrap,
    { provide: RATE_LIMITS, inject: [APP_CONFIG], useFactory: (config: AppConfig) => buildThrottlers(config) },
    {
      provide: RATE_LIMIT_STORAGE,
      inject: [CacheService, APP_CONFIG],
      // reserveMax: hot keys take several hits from Redis at once (see RedisThrottlerStorage.take).
      useFactory: (cache: CacheService, config: AppConfig) => new RedisThrottlerStorage(cache.client, cache.keys, config.throttle.reserveMax ?? 1),
    },
    RateLimiter,
    RequestAuthenticator,
    { provide: APP_GUARD, useClass: RequestGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
  ],
  exports: [UsersService, SessionService, TokenService],
})
export class IdentityModule {}
