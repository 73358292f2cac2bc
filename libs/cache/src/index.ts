// Public API of libs/cache inside the monorepo (@app/cache): everything the published package
// offers through its entries — the core without Nest ("."), the Nest glue ("./nest") and the
// Prometheus export ("./prometheus"). The cache-manager / Keyv store stays a separate import
// (@app/cache/adapters/keyv-store.js) so that apps do not load keyv.
export * from './standalone.js';
export * from './nest/index.js';
export { registerCacheMetrics, type CacheMetricsOptions } from './stats/prometheus.js';
