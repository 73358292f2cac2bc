import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { Roles } from './roles.decorator.js';
import { ApiErrors } from '../http/api-errors.decorator.js';

/** Any signed-in user (every route is protected unless @Public()); documents bearer auth. */
export const Authenticated = (): MethodDecorator & ClassDecorator =>
  applyDecorators(ApiBearerAuth(), ApiErrors({ status: 401, description: 'Missing, invalid, expired or revoked token' }));

/** Admins only: 401 without a valid token, 403 for other roles. */
export const AdminOnly = (): MethodDecorator & ClassDecorator =>
  applyDecorators(Authenticated(), Roles('admin'), ApiErrors({ status: 403, description: 'Caller is not an admin' }));
