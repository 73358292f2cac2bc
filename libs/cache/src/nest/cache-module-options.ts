import type { CreateCacheOptions } from '../create-cache.js';

export interface CacheModuleOptions extends CreateCacheOptions {
  /** HttpCacheInterceptor defaults. */
  http?: { ttl?: number; namespace?: string };
}

export interface CacheModuleAsyncOptions {
  imports?: any[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  inject?: any[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  useFactory: (...args: any[]) => CacheModuleOptions | Promise<CacheModuleOptions>; // eslint-disable-line @typescript-eslint/no-explicit-any
}
