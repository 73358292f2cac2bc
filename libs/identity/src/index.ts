// What other modules and the apps may use from identity: the module, its services, types and events.
export { IdentityModule } from './identity.module.js';
export { AuthService, INVALID_CREDENTIALS, INVALID_REFRESH_TOKEN } from './services/auth.service.js';
export { UsersService } from './services/users.service.js';
export { SessionService } from './services/session.service.js';
export { TokenService } from './services/token.service.js';
export { AdminBootstrap } from './services/admin-bootstrap.service.js';
export { normalizeEmail } from './email.js';
export { IncorrectPasswordError } from './identity.errors.js';
export { ROLES, type Role } from './roles.js';
export type * from './identity.types.js';
export type { UserSignedIn } from './identity.events.js';
