import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorBody } from '@app/common';
import { Roles } from './roles.decorator.js';

/** Any signed-in user (every route is protected unless @Public()); documents bearer auth. */
export const Authenticated = (): MethodDecorator & ClassDecorator =>
  applyDecorators(ApiBearerAuth(), ApiUnauthorizedResponse({ type: ErrorBody, description: 'Missing, invalid, expired or revoked token' }));

/** Admins only: 401 without a valid token, 403 for other roles. */
export const AdminOnly = (): MethodDecorator & ClassDecorator =>
  applyDecorators(Authenticated(), Roles('admin'), ApiForbiddenResponse({ type: ErrorBody, description: 'Caller is not an admin' }));
