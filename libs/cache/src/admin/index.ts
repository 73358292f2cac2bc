export { RedisAdmin, type MemoryStats, type NodeOption, type ScanOptions } from './redis-admin.js';
export { infoText, parseInfo, type InfoScalar, type InfoValue, type ParsedInfo, type MemoryStatValue } from './info-parser.js';
