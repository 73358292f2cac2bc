export { LockService, type LockContext, type LockServiceOptions, type WithLockOptions } from './lock.service.js';
export { LockBusyError, LockLostError, LockUnavailableError } from './lock-errors.js';
export { WithLock, currentLock, setLockServiceForDecorators, type WithLockDecoratorOptions } from './with-lock.decorator.js';
