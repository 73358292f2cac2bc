/**
 * @nestjs/throttler's runtime exports, loaded after @nestjs/common and @nestjs/core.
 *
 * The package is CommonJS and require()s the ESM-only @nestjs/common 12 and @nestjs/core. Node
 * allows that (require(esm)), and so does Jest 30 on Node 24, but Jest runs the CommonJS modules of
 * a test file's static import graph while that graph is still being linked: @nestjs/common, in the
 * same graph and not evaluated yet, then counts as a require() cycle (ERR_REQUIRE_CYCLE_MODULE) and
 * no suite that builds the app can load. Importing the package dynamically, once both Nest packages
 * are evaluated (the static imports below), avoids that at the cost of one top-level await; import
 * the package's runtime values from here (its types directly from '@nestjs/throttler').
 */
import '@nestjs/common';
import '@nestjs/core';

const throttler = await import('@nestjs/throttler');

export const ThrottlerGuard = throttler.ThrottlerGuard;
export const ThrottlerModule = throttler.ThrottlerModule;
/** Per-route overrides of the throttlers (none needed today). */
export const SkipThrottle = throttler.SkipThrottle;
export const Throttle = throttler.Throttle;
/** Injection tokens of the module's options and storage (RouteRateLimit reads both). */
export const THROTTLER_OPTIONS_TOKEN = throttler.getOptionsToken();
export const THROTTLER_STORAGE_TOKEN = throttler.getStorageToken();
