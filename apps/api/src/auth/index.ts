export { Public } from '@app/common';
export * from './api-auth.decorators.js';
export * from './auth-user.js';
export * from './current-user.decorator.js';
export * from './roles.decorator.js';
