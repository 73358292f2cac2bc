import { InvalidInputError } from '@app/common';

/**
 * The `currentPassword` of a password change is wrong (400 naming the field). Its own type so the
 * HTTP edge can count these checks: without a limit the route is a password oracle.
 */
export class IncorrectPasswordError extends InvalidInputError {
  constructor() {
    super(['currentPassword: is incorrect']);
  }
}
