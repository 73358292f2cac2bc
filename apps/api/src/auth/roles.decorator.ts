import { SetMetadata } from '@nestjs/common';
import type { Role } from './auth-user.js';

export const ROLES_KEY = 'roles';

/** Restricts a route to the given roles (checked after authentication; otherwise 403). */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator => SetMetadata(ROLES_KEY, roles);
