import { AsyncLocalStorage } from 'node:async_hooks';
import type { LockContext, LockService, WithLockOptions } from './lock.service.js';

// Decorators are evaluated at class definition, long before DI exists, so the service is looked
// up at call time from a registry the cache module fills in.
let registered: LockService | undefined;
const lockContext = new AsyncLocalStorage<LockContext>();
// On Node 20 an enabled AsyncLocalStorage puts a hook on every promise of the process (several µs
// per HTTP request): it is switched on only while some @WithLock method runs.
let running = 0;

function runInLock<T>(ctx: LockContext, fn: () => Promise<T>): Promise<T> {
  running++;
  let result: Promise<T>;
  try {
    result = lockContext.run(ctx, fn);
  } catch (error) {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- what the method threw, unchanged
    result = Promise.reject(error);
  }
  return result.finally(() => {
    if (--running === 0) lockContext.disable();
  });
}

/** Called by the cache module (or a script) once its LockService exists; `undefined` clears it. */
export function setLockServiceForDecorators(service: LockService | undefined): void {
  registered = service;
}

/** Inside a @WithLock method: its signal and fencing token. */
export function currentLock(): LockContext | undefined {
  return lockContext.getStore();
}

export interface WithLockDecoratorOptions<A extends unknown[]> extends WithLockOptions {
  /** Lock resource(s) computed from the method arguments (called with the instance as `this`). */
  resource: (...args: A) => string | string[];
}

type AsyncMethod<A extends unknown[]> = (...args: A) => Promise<unknown>;

/**
 * Runs the method under LockService.withLock. Metadata other decorators attached to the original
 * function (Nest, Swagger) is copied to the wrapper.
 */
export function WithLock<A extends unknown[]>(options: WithLockDecoratorOptions<A>) {
  // Generic over the method type so a method with extra (optional) parameters still type-checks
  // against `resource`'s parameters, while its own signature is kept.
  return <M extends AsyncMethod<A>>(_target: object, propertyKey: string | symbol, descriptor: TypedPropertyDescriptor<M>): void => {
    const original = descriptor.value as AsyncMethod<A> | undefined;
    if (typeof original !== 'function') throw new TypeError(`@WithLock can only decorate methods (${String(propertyKey)})`);
    const { resource, ...lockOptions } = options;
    const wrapped = function (this: unknown, ...args: A): Promise<unknown> {
      const service = registered;
      if (!service) {
        return Promise.reject(new Error(`@WithLock(${String(propertyKey)}): no LockService registered (setLockServiceForDecorators)`));
      }
      return service.withLock(resource.apply(this, args), (ctx) => runInLock(ctx, () => original.apply(this, args)), lockOptions);
    };
    copyMetadata(original, wrapped);
    Object.defineProperty(wrapped, 'name', { value: original.name });
    descriptor.value = wrapped as M;
  };
}

type MetadataReflect = {
  getMetadataKeys?: (target: object) => unknown[];
  getMetadata?: (key: unknown, target: object) => unknown;
  defineMetadata?: (key: unknown, value: unknown, target: object) => void;
};

function copyMetadata(from: object, to: object): void {
  const reflect = Reflect as unknown as MetadataReflect; // present when reflect-metadata is loaded
  if (!reflect.getMetadataKeys || !reflect.getMetadata || !reflect.defineMetadata) return;
  for (const key of reflect.getMetadataKeys(from)) reflect.defineMetadata(key, reflect.getMetadata(key, from), to);
}
