import { ConfigError } from './config-error.js';
import { envSchema, type Env } from './env.schema.js';

export interface HostPort {
  host: string;
  port: number;
}

/** Typed configuration, one namespace per concern. */
export interface AppConfig {
  app: {
    env: Env['NODE_ENV'];
    host: string;
    port: number;
    logLevel: Env['LOG_LEVEL'];
    /** API log lines are buffered up to this many bytes (flushed every 250 ms and at exit); 0 = one synchronous write per line. */
    logBufferBytes?: number;
    /**
     * How API log lines get the request they belong to. explicit: the access line comes from a
     * Fastify hook and code passes `requestId` itself; nestjs-pino: pino-http writes the access line
     * and every line logged during a request carries its id (AsyncLocalStorage).
     */
    logRequestContext?: Env['LOG_REQUEST_CONTEXT'];
    shutdownTimeoutMs: number;
    /**
     * After a busy period, once the process has been idle for idleMs (0 = never), one full collection
     * gives the memory the burst left behind back to the OS, when resident memory grew by at least
     * minGrowthBytes since the last release (IdleMemoryRelease).
     */
    memoryRelease: { idleMs: number; minGrowthBytes: number };
    corsOrigins: string[];
    /** Fastify trustProxy: which peers may set X-Forwarded-For (client IPs for rate limits). */
    trustProxy: boolean | number | string[];
    currency: string;
    swaggerEnabled: boolean;
  };
  /**
   * The HTTP server (API). bodyLimitBytes: default largest request body (routes that need more say
   * so themselves). requestTimeoutMs: the whole request, headers and body, must arrive within it;
   * headersTimeoutMs: the headers alone. connectionTimeoutMs: a socket with no traffic either way for
   * this long is closed (0 = never). keepAliveTimeoutMs: an idle keep-alive connection is closed
   * after this long; keep it above the idle timeout of the load balancer in front.
   */
  http: {
    bodyLimitBytes: number;
    requestTimeoutMs: number;
    headersTimeoutMs: number;
    connectionTimeoutMs: number;
    keepAliveTimeoutMs: number;
  };
  database: {
    primaryUrl: string;
    replicaUrl: string | null;
    poolSize: number;
    statementTimeoutMs: number;
    migrateOnStart: boolean;
  };
  redis: {
    mode: Env['REDIS_MODE'];
    url: string | null;
    sentinels: HostPort[];
    sentinelName: string;
    clusterNodes: HostPort[];
    password: string | null;
    keyPrefix: string;
    commandTimeoutMs: number;
    /** A Redis server of its own for cached values (may evict); null = cached values live in the main one. */
    cacheUrl: string | null;
  };
  cache: {
    defaultTtlMs: number;
    l1: { maxEntries: number; maxBytes: number; ttlMs: number; ackTimeoutMs: number } | null;
  };
  jwt: {
    secret: string;
    issuer: string;
    audience: string;
    accessTtlSeconds: number;
    refreshTtlSeconds: number;
    /**
     * A refresh token presented again within this many seconds of its rotation, while its successor
     * is unused, gets that successor again instead of counting as reuse (retries, concurrent tabs;
     * RFC 9700 §4.14). 0 = every second presentation is reuse.
     */
    refreshGraceSeconds: number;
  };
  /**
   * reserveMax: most hits one instance takes from Redis at once for a hot key of the default limit
   * (1 = every request goes to Redis); see apps/api/src/throttling/redis-throttler-storage.ts.
   */
  throttle: { ttlSeconds: number; limit: number; reserveMax?: number };
  /**
   * Sign-in limits (counted in Redis; in-process per instance while Redis fails). Failed logins
   * per (email, client IP): emailLimit; per client IP: ipLimit; successes do not count. Failures of
   * one email from every IP only slow its logins down (never refuse them): from emailDelayAfter
   * on, each attempt waits 250 ms doubling per further failure, at most maxDelayMs (0 = never).
   */
  loginThrottle: { ttlSeconds: number; emailLimit: number; ipLimit: number; emailDelayAfter: number; maxDelayMs: number };
  /** Registrations per client IP per window (each one costs an argon2 hash). */
  registerThrottle: { ttlSeconds: number; ipLimit: number };
  /** Password changes (PATCH /users/me with password or currentPassword): wrong currentPassword per user, attempts per client IP. */
  passwordCheckThrottle: { ttlSeconds: number; userLimit: number; ipLimit: number };
  /** argon2 operations running at once in the process; beyond that a request waits up to hashMaxWaitMs, then gets 503. */
  passwords: { hashConcurrency: number; hashMaxWaitMs: number };
  /** Carts (Redis): sliding expiry per owner kind; guest tokens signed with tokenSecret (null = derived from JWT_SECRET). */
  cart: {
    userTtlSeconds: number;
    guestTtlSeconds: number;
    tokenSecret: string | null;
    guestThrottle: { ttlSeconds: number; ipLimit: number };
  };
  /** paymentTimeoutMinutes: unpaid orders older than this are cancelled by the worker; 0 = never. */
  orders: { paymentTimeoutMinutes: number; idempotencyKeyRetentionHours: number };
  worker: {
    host: string;
    /** Port of the worker's /health and /metrics (0 = none). */
    port: number;
    concurrency: number;
    jobAttempts: number;
    outboxPollIntervalMs: number;
    /** false: this worker only runs processors and schedules (the relay runs elsewhere). */
    relayEnabled: boolean;
    retentionHours: number;
    warmProducts: number;
  };
}

/**
 * What is wrong, without the value: zod's messages describe the expected shape ("Too small:
 * expected string to have >=32 characters", an enum's allowed values) and the schema's own
 * messages never quote the input. Should a message ever contain the value, it is cut out.
 */
function describeIssue(message: string, value: string | undefined): string {
  return value !== undefined && value.length >= 4 ? message.split(value).join('[value hidden]') : message;
}

function parseTrustProxy(value: string): boolean | number | string[] {
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^\d+$/.test(value)) return Number(value);
  return value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

function hostPorts(list: string): HostPort[] {
  if (!list) return [];
  return list.split(',').map((entry) => {
    const [host, port] = entry.trim().split(':') as [string, string];
    return { host, port: Number(port) };
  });
}

/**
 * Validates the environment and returns the typed config, or throws a ConfigError naming every
 * problem: the variable and what is wrong with it, never the value it has. Values are secrets
 * often enough (JWT_SECRET, passwords inside DB_PRIMARY_URL or REDIS_URL), and a refused
 * configuration is printed to the console and collected by log shippers.
 */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): AppConfig {
  // Empty strings count as unset so defaults apply (docker-compose passes `VAR=` for unset values).
  const raw = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(environment)';
      const missing = issue.code === 'invalid_type' && raw[name] === undefined;
      return missing ? `${name}: is required but missing` : `${name}: ${describeIssue(issue.message, raw[name])}`;
    });
    throw new ConfigError(problems);
  }
  const env = parsed.data;
  return {
    app: {
      env: env.NODE_ENV,
      host: env.HOST,
      port: env.PORT,
      logLevel: env.LOG_LEVEL,
      logBufferBytes: env.LOG_BUFFER_BYTES,
      logRequestContext: env.LOG_REQUEST_CONTEXT,
      shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
      memoryRelease: { idleMs: env.MEMORY_RELEASE_IDLE_MS, minGrowthBytes: env.MEMORY_RELEASE_MIN_GROWTH_MB * 1_048_576 },
      corsOrigins: env.CORS_ORIGINS.split(',')
        .map((o) => o.trim())
        .filter(Boolean),
      trustProxy: parseTrustProxy(env.TRUST_PROXY),
      currency: env.CURRENCY,
      swaggerEnabled: env.SWAGGER_ENABLED,
    },
    http: {
      bodyLimitBytes: env.HTTP_BODY_LIMIT_BYTES,
      requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
      headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS,
      connectionTimeoutMs: env.HTTP_CONNECTION_TIMEOUT_MS,
      keepAliveTimeoutMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    },
    database: {
      primaryUrl: env.DB_PRIMARY_URL,
      replicaUrl: env.DB_REPLICA_URL || null,
      poolSize: env.DB_POOL_SIZE,
      statementTimeoutMs: env.DB_STATEMENT_TIMEOUT_MS,
      migrateOnStart: env.DB_MIGRATE_ON_START,
    },
    redis: {
      mode: env.REDIS_MODE,
      url: env.REDIS_URL || null,
      sentinels: hostPorts(env.REDIS_SENTINELS),
      sentinelName: env.REDIS_SENTINEL_NAME,
      clusterNodes: hostPorts(env.REDIS_CLUSTER_NODES),
      password: env.REDIS_PASSWORD || null,
      keyPrefix: env.REDIS_KEY_PREFIX,
      commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS,
      cacheUrl: env.REDIS_CACHE_URL || null,
    },
    cache: {
      defaultTtlMs: env.CACHE_DEFAULT_TTL_MS,
      l1: env.CACHE_L1_ENABLED
        ? {
            maxEntries: env.CACHE_L1_MAX_ENTRIES,
            maxBytes: env.CACHE_L1_MAX_BYTES,
            ttlMs: env.CACHE_L1_TTL_MS,
            ackTimeoutMs: env.CACHE_L1_ACK_TIMEOUT_MS,
          }
        : null,
    },
    jwt: {
      secret: env.JWT_SECRET,
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      accessTtlSeconds: env.JWT_ACCESS_TTL_SECONDS,
      refreshTtlSeconds: env.JWT_REFRESH_TTL_SECONDS,
      refreshGraceSeconds: env.JWT_REFRESH_GRACE_SECONDS,
    },
    throttle: { ttlSeconds: env.THROTTLE_TTL_SECONDS, limit: env.THROTTLE_LIMIT, reserveMax: env.THROTTLE_RESERVE_MAX },
    loginThrottle: {
      ttlSeconds: env.LOGIN_THROTTLE_TTL_SECONDS,
      emailLimit: env.LOGIN_THROTTLE_EMAIL_LIMIT,
      ipLimit: env.LOGIN_THROTTLE_IP_LIMIT,
      emailDelayAfter: env.LOGIN_THROTTLE_EMAIL_DELAY_AFTER,
      maxDelayMs: env.LOGIN_THROTTLE_MAX_DELAY_MS,
    },
    registerThrottle: { ttlSeconds: env.REGISTER_THROTTLE_TTL_SECONDS, ipLimit: env.REGISTER_THROTTLE_IP_LIMIT },
    passwordCheckThrottle: {
      ttlSeconds: env.PASSWORD_CHECK_THROTTLE_TTL_SECONDS,
      userLimit: env.PASSWORD_CHECK_USER_LIMIT,
      ipLimit: env.PASSWORD_CHECK_IP_LIMIT,
    },
    passwords: { hashConcurrency: env.PASSWORD_HASH_CONCURRENCY, hashMaxWaitMs: env.PASSWORD_HASH_MAX_WAIT_MS },
    cart: {
      userTtlSeconds: env.CART_USER_TTL_SECONDS,
      guestTtlSeconds: env.CART_GUEST_TTL_SECONDS,
      tokenSecret: env.CART_TOKEN_SECRET || null,
      guestThrottle: { ttlSeconds: env.CART_GUEST_THROTTLE_TTL_SECONDS, ipLimit: env.CART_GUEST_THROTTLE_IP_LIMIT },
    },
    orders: { paymentTimeoutMinutes: env.ORDER_PAYMENT_TIMEOUT_MINUTES, idempotencyKeyRetentionHours: env.IDEMPOTENCY_KEY_RETENTION_HOURS },
    worker: {
      host: env.WORKER_HOST,
      port: env.WORKER_PORT,
      concurrency: env.WORKER_CONCURRENCY,
      jobAttempts: env.JOB_ATTEMPTS,
      outboxPollIntervalMs: env.OUTBOX_POLL_INTERVAL_MS,
      relayEnabled: env.OUTBOX_RELAY_ENABLED,
      retentionHours: env.HOUSEKEEPING_RETENTION_HOURS,
      warmProducts: env.CACHE_WARM_PRODUCTS,
    },
  };
}

/**
 * The secret values of a configuration, for the logger to cut out of anything it writes: JWT and
 * cart token secrets, and the passwords of the database and Redis URLs and of Redis.
 */
export function configSecrets(config: AppConfig): string[] {
  const passwordOf = (url: string | null): string | null => {
    if (!url) return null;
    try {
      return decodeURIComponent(new URL(url).password) || null;
    } catch {
      return null;
    }
  };
  const values = [
    config.jwt.secret,
    config.cart.tokenSecret,
    config.redis.password,
    passwordOf(config.database.primaryUrl),
    passwordOf(config.database.replicaUrl),
    passwordOf(config.redis.url),
    passwordOf(config.redis.cacheUrl),
  ];
  return values.filter((v): v is string => typeof v === 'string' && v.length > 0);
}
