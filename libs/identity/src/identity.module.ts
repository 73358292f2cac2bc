import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DomainEventsModule } from '@app/common';
import { SessionEntity } from './entities/session.entity.js';
import { UserEntity } from './entities/user.entity.js';
import { RefreshTokensRepository } from './repositories/refresh-tokens.repository.js';
import { SessionsRepository } from './repositories/sessions.repository.js';
import { UsersRepository } from './repositories/users.repository.js';
import { AdminBootstrap } from './services/admin-bootstrap.service.js';
import { AuthService } from './services/auth.service.js';
import { PasswordHasher } from './services/password-hasher.service.js';
import { RefreshTokenService } from './services/refresh-token.service.js';
import { SessionCache } from './services/session-cache.service.js';
import { SessionService } from './services/session.service.js';
import { TokenService } from './services/token.service.js';
import { UsersService } from './services/users.service.js';

/**
 * Users, sessions and tokens. Other modules use the exported services and the
 * `identity.user-signed-in` event, never identity's tables or Redis keys.
 */
@Module({
  imports: [TypeOrmModule.forFeature([UserEntity, SessionEntity]), DomainEventsModule],
  providers: [
    UsersRepository,
    SessionsRepository,
    RefreshTokensRepository,
    PasswordHasher,
    TokenService,
    RefreshTokenService,
    SessionCache,
    SessionService,
    UsersService,
    AuthService,
    AdminBootstrap,
  ],
  exports: [AuthService, UsersService, SessionService, TokenService, AdminBootstrap],
})
export class IdentityModule {}
