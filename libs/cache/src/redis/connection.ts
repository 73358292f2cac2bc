import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

/** Anything the cache library can talk to: a single node (standalone or via Sentinel) or a cluster. */
export type RedisClient = Redis | Cluster;

export interface RedisConnectionOptions {
  mode?: 'standalone' | 'sentinel' | 'cluster';
  /** redis://[:password@]host:port[/db] (standalone). */
  url?: string;
  sentinels?: { host: string; port: number }[];
  /** Sentinel master group name. */
  sentinelName?: string;
  /** Cluster startup nodes. */
  nodes?: { host: string; port: number }[];
  password?: string;
  /** Per-command deadline; a slow Redis must never stall a request (default 500 ms). */
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** CLIENT SETNAME, visible in CLIENT LIST. */
  name?: string;
  /** Enable ioredis auto-pipelining (batches commands issued in the same tick). */
  autoPipelining?: boolean;
  /** Called for connection errors (default: ignored; the breaker and fail-open paths report them). */
  onError?: (err: Error) => void;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 500;
const DEFAULT_CONNECT_TIMEOUT_MS = 2_000;

/** Exponential backoff with jitter, capped at 2 s, never giving up: the cache must come back by itself. */
export function reconnectDelay(times: number): number {
  const base = Math.min(50 * 2 ** Math.min(times, 6), 2_000);
  return base + Math.floor(Math.random() * 100);
}

function commonOptions(opts: RedisConnectionOptions): RedisOptions {
  return {
    password: opts.password,
    connectionName: opts.name,
    commandTimeout: opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    connectTimeout: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    // Fail fast during an outage instead of queueing requests behind a dead socket.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: reconnectDelay,
    enableAutoPipelining: opts.autoPipelining ?? false,
    disableClientInfo: true,
    // After QUIT/disconnect, destroy a socket that does not close by itself soon (default 2 s).
    disconnectTimeout: 200,
  };
}

/** ioredis emits 'error' on every failed reconnect; an EventEmitter 'error' without a listener crashes the process. */
function guard<T extends RedisClient>(client: T, onError?: (err: Error) => void): T {
  client.on('error', onError ?? noop);
  if (client instanceof Cluster) client.on('node error', onError ?? noop);
  return client;
}

function noop(): void {}

export function createRedisConnection(opts: RedisConnectionOptions = {}): RedisClient {
  const mode = opts.mode ?? (opts.nodes?.length ? 'cluster' : opts.sentinels?.length ? 'sentinel' : 'standalone');
  const common = commonOptions(opts);
  if (mode === 'cluster') {
    if (!opts.nodes?.length) throw new Error('createRedisConnection: cluster mode needs nodes');
    const { enableOfflineQueue: _q, retryStrategy: _r, ...redisOptions } = common;
    const clusterOptions: ClusterOptions = {
      enableOfflineQueue: false,
      enableAutoPipelining: opts.autoPipelining ?? false,
      redisOptions,
      clusterRetryStrategy: reconnectDelay,
      // Without this a restarted node is only rediscovered through MOVED errors.
      clusterNodeRetryStrategy: reconnectDelay,
      retryDelayOnFailover: 100,
      slotsRefreshTimeout: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    };
    return guard(new Cluster(opts.nodes, clusterOptions), opts.onError);
  }
  if (mode === 'sentinel') {
    if (!opts.sentinels?.length || !opts.sentinelName) {
      throw new Error('createRedisConnection: sentinel mode needs sentinels and sentinelName');
    }
    return guard(
      new Redis({ ...common, sentinels: opts.sentinels, name: opts.sentinelName, sentinelPassword: opts.password }),
      opts.onError,
    );
  }
  const url = opts.url ?? 'redis://127.0.0.1:6379';
  return guard(new Redis(url, common), opts.onError);
}

/**
 * A second connection with the same settings, for pub/sub: a subscribed connection cannot run other
 * commands. Its offline queue is on so SUBSCRIBE issued while (re)connecting is sent once ready.
 */
export function duplicateConnection(client: RedisClient): RedisClient {
  if (client instanceof Cluster) {
    return guard(client.duplicate(undefined, { enableOfflineQueue: true }));
  }
  return guard(client.duplicate({ enableOfflineQueue: true, commandTimeout: undefined, maxRetriesPerRequest: null }));
}

/**
 * The invalidation bus's subscriber: RESP2, because Redis delivers server-assisted (CLIENT
 * TRACKING) invalidations to a RESP2 client as messages on `__redis__:invalidate`, which ioredis
 * emits, while it drops RESP3 "invalidate" pushes. No automatic resubscription: the bus reads the
 * connection's CLIENT ID on each connect, which a RESP2 connection cannot do once subscribed.
 */
export function subscriberConnection(client: RedisClient): RedisClient {
  if (client instanceof Cluster) return duplicateConnection(client);
  return guard(
    client.duplicate({
      enableOfflineQueue: true,
      commandTimeout: undefined,
      maxRetriesPerRequest: null,
      protocol: 2,
      autoResubscribe: false,
    }),
  );
}

/**
 * A RESP2 subscriber to one cluster node, for the CLIENT TRACKING reports of that node (tracking
 * and its redirect target are per node). Built from the cluster's own connection to the node so it
 * shares host, port, auth and TLS; it reconnects by itself, and resubscribes through its owner
 * (the owner reads the new CLIENT ID first, which a subscribed RESP2 connection cannot).
 */
export function nodeSubscriberConnection(node: Redis): Redis {
  return guard(
    new Redis({
      ...node.options,
      protocol: 2,
      lazyConnect: false,
      readOnly: false,
      enableOfflineQueue: true,
      commandTimeout: undefined,
      maxRetriesPerRequest: null,
      autoResubscribe: false,
      retryStrategy: reconnectDelay,
    }),
  );
}

export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}

/** Resolves once the client is ready (or rejects after timeoutMs), e.g. at boot before the first command. */
export function waitForReady(client: RedisClient, timeoutMs = 5_000): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      reject(new Error(`Redis not ready after ${timeoutMs} ms (status ${client.status})`));
    }, timeoutMs);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    client.once('ready', onReady);
  });
}

/** Close gracefully (QUIT), falling back to a hard disconnect; resolves once the client is closed. */
export async function closeConnection(client: RedisClient, timeoutMs = 1_000): Promise<void> {
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    // Not connected (e.g. reconnecting to a dead server): nothing to flush, and ioredis will not
    // emit 'end' for a socket that is already gone. disconnect() cancels the pending reconnect.
    client.disconnect();
    return;
  }
  const ended = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    client.once('end', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  let quitTimer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([client.quit(), new Promise((r) => (quitTimer = setTimeout(r, timeoutMs)))]);
  } catch {
    // fall through to disconnect
  } finally {
    clearTimeout(quitTimer);
  }
  if ((client.status as string) !== 'end') client.disconnect();
  await ended;
}
