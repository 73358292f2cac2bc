import { Module } from '@nestjs/common';
import { IdentityModule } from '@app/identity';
import { ThrottlingModule } from '../throttling/throttling.module.js';
import { AuthController } from './controllers/auth.controller.js';
import { SessionsController } from './controllers/sessions.controller.js';
import { UsersController } from './controllers/users.controller.js';

/** The identity routes: sign-up/in, tokens, sessions, profiles, roles. */
@Module({
  imports: [IdentityModule, ThrottlingModule],
  controllers: [AuthController, SessionsController, UsersController],
})
export class IdentityHttpModule {}
