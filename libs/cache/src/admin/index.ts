export { RedisAdmin, type MemoryStats, type NodeOption, type ScanOptions } from './redis-admin.js';
export { parseInfo, type InfoScalar, type InfoValue, type ParsedInfo, type MemoryStatValue } from './info-parser.js';
