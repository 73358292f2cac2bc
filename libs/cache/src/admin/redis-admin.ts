import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import { isCluster, type RedisClient } from '../redis/connection.js';
import { DEFAULT_OPERATION_TIMEOUT_MS, failFast } from '../redis-ops/fail-fast.js';
import { infoText, parseFlatPairs, parseInfo, type MemoryStatValue, type ParsedInfo } from './info-parser.js';

export interface MemoryStats {
  peakAllocated: number;
  totalAllocated: number;
  datasetBytes: number;
  keysCount: number;
  /** RSS / used memory as Redis reports it. */
  fragmentation: number;
  /** Everything MEMORY STATS returned. */
  raw: { [key: string]: MemoryStatValue };
}

export interface ScanOptions {
  /** SCAN COUNT hint per call (default 500). */
  count?: number;
  /** Only keys of this type (string, hash, set, zset, list, stream). */
  type?: string;
}

export interface NodeOption {
  /** `host:port` of one node (see nodes()); default: the first master. */
  node?: string;
}

/**
 * Operational view of Redis for health checks, dashboards and scripts. Whole-keyspace operations
 * (dbsize, scan, ping) cover every master of a cluster; per-server reports (info, memoryStats)
 * read one node, selectable with `{ node }`.
 */
export class RedisAdmin {
  constructor(
    private readonly client: RedisClient,
    private readonly timeoutMs = DEFAULT_OPERATION_TIMEOUT_MS,
  ) {}

  /** `host:port` of every master (one entry for a standalone server). */
  nodes(): string[] {
    return this.masters().map(nodeName);
  }

  /** Round-trip time in ms (the slowest master on a cluster). */
  async ping(): Promise<number> {
    const times = await Promise.all(
      this.masters().map(async (node) => {
        const started = performance.now();
        await this.run(node, () => node.ping());
        return performance.now() - started;
      }),
    );
    return Math.max(...times);
  }

  async info(section?: string, opts: NodeOption = {}): Promise<ParsedInfo> {
    const node = this.pick(opts.node);
    const text = await this.run(node, () => (section ? node.info(section) : node.info()));
    return parseInfo(text);
  }

  async serverVersion(opts: NodeOption = {}): Promise<string> {
    const info = await this.info('server', opts);
    return infoText(info.server?.redis_version) ?? 'unknown';
  }

  async memoryStats(opts: NodeOption = {}): Promise<MemoryStats> {
    const node = this.pick(opts.node);
    const raw = parseFlatPairs(await this.run(node, () => node.call('MEMORY', 'STATS')));
    const num = (key: string) => (typeof raw[key] === 'number' ? raw[key] : 0);
    return {
      peakAllocated: num('peak.allocated'),
      totalAllocated: num('total.allocated'),
      datasetBytes: num('dataset.bytes'),
      keysCount: num('keys.count'),
      fragmentation: num('fragmentation'),
      raw,
    };
  }

  /** Number of keys in the selected database (summed over all masters on a cluster). */
  async dbsize(): Promise<number> {
    const sizes = await Promise.all(this.masters().map((node) => this.run(node, () => node.dbsize())));
    return sizes.reduce((a, b) => a + b, 0);
  }

  /**
   * Keys matching a glob pattern, via SCAN (never KEYS), on every master. SCAN may return a key
   * more than once; callers that need uniqueness must dedupe.
   */
  async *scan(pattern: string, opts: ScanOptions = {}): AsyncGenerator<string, void, undefined> {
    const count = opts.count ?? 500;
    for (const node of this.masters()) {
      let cursor = '0';
      do {
        const args: (string | number)[] = ['MATCH', pattern, 'COUNT', count];
        if (opts.type) args.push('TYPE', opts.type);
        const [next, keys] = (await this.run(node, () => node.call('SCAN', cursor, ...args))) as [string, string[]];
        cursor = next;
        yield* keys;
      } while (cursor !== '0');
    }
  }

  /** Seconds to live; -1 = no expiry, -2 = no such key (Redis semantics). */
  ttl(key: string): Promise<number> {
    return this.run(this.client, () => this.client.ttl(key));
  }

  /** Milliseconds to live; -1 = no expiry, -2 = no such key. */
  pttl(key: string): Promise<number> {
    return this.run(this.client, () => this.client.pttl(key));
  }

  /** true when the key exists and got the expiry. */
  async expire(key: string, seconds: number): Promise<boolean> {
    return (await this.run(this.client, () => this.client.expire(key, seconds))) === 1;
  }

  async pexpire(key: string, ms: number): Promise<boolean> {
    return (await this.run(this.client, () => this.client.pexpire(key, ms))) === 1;
  }

  /** Removes the expiry; true when there was one. */
  async persist(key: string): Promise<boolean> {
    return (await this.run(this.client, () => this.client.persist(key))) === 1;
  }

  private masters(): Redis[] {
    return isCluster(this.client) ? this.client.nodes('master') : [this.client];
  }

  private pick(name?: string): Redis {
    const masters = this.masters();
    const node = name === undefined ? masters[0] : masters.find((n) => nodeName(n) === name);
    if (!node) throw new Error(name ? `No master ${name} (known: ${masters.map(nodeName).join(', ')})` : 'No master node known yet');
    return node;
  }

  private run<T>(node: RedisClient, op: () => Promise<T>): Promise<T> {
    return failFast(node, op, this.timeoutMs);
  }
}

function nodeName(node: Redis): string {
  return `${node.options.host}:${node.options.port}`;
}
