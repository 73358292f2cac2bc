import { z } from 'zod';

/** The sample secret shipped in .env.example; only development and test may start with it. */
export const SAMPLE_JWT_SECRET = 'local-dev-secret-change-me-0123456789abcdef';

/**
 * Where the sample JWT secret is accepted: tests (which never listen on a network), and development
 * on a loopback address only, so a laptop's API reachable from the network never signs with it.
 */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', '::1', 'localhost']);
const sampleSecretAllowed = (env: { NODE_ENV: string; HOST: string }): boolean =>
  env.NODE_ENV === 'test' || (env.NODE_ENV === 'development' && LOOPBACK_HOSTS.has(env.HOST));

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const url = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
  );
const hostPortList = z
  .string()
  .refine((v) => v.split(',').every((p) => /^[^\s:,]+:\d{1,5}$/.test(p.trim())), 'must be a comma-separated host:port list');

/** Every environment variable the processes read, validated once at boot. */
export const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    HOST: z.string().min(1).default('0.0.0.0'),
    PORT: int(0, 65535).default(3000),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    LOG_BUFFER_BYTES: int(0, 1_048_576).default(8192),
    LOG_REQUEST_CONTEXT: z.enum(['explicit', 'nestjs-pino']).default('explicit'),
    SHUTDOWN_TIMEOUT_MS: int(0, 600_000).default(10_000),
    MEMORY_RELEASE_IDLE_MS: int(0, 3_600_000).default(2_000),
    MEMORY_RELEASE_MIN_GROWTH_MB: int(1, 65_536).default(16),
    CORS_ORIGINS: z.string().default(''),
    TRUST_PROXY: z
      .string()
      .regex(
        /^(true|false|\d{1,2}|[A-Za-z0-9.:/,\s-]+)$/,
        'must be true, false, a hop count, or a comma-separated list of proxy addresses/CIDRs (loopback, linklocal, uniquelocal allowed)',
      )
      .default('loopback'),
    CURRENCY: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR')
      .default('EUR'),

    // HTTP edge: default request body size and the server's socket timeouts.
    HTTP_BODY_LIMIT_BYTES: int(1_024, 16_777_216).default(65_536),
    HTTP_REQUEST_TIMEOUT_MS: int(1_000, 600_000).default(30_000),
    HTTP_HEADERS_TIMEOUT_MS: int(1_000, 600_000).default(10_000),
    HTTP_CONNECTION_TIMEOUT_MS: int(0, 3_600_000).default(60_000),
    HTTP_KEEP_ALIVE_TIMEOUT_MS: int(1_000, 3_600_000).default(65_000),

    DB_PRIMARY_URL: url(['postgres:', 'postgresql:']),
    DB_REPLICA_URL: z.union([z.literal(''), url(['postgres:', 'postgresql:'])]).default(''),
    // Two at least: migrations hold one connection for their advisory lock and run on another.
    DB_POOL_SIZE: int(2, 200).default(10),
    DB_STATEMENT_TIMEOUT_MS: int(0, 3_600_000).default(10_000),
    DB_MIGRATE_ON_START: bool.default(true),

    REDIS_MODE: z.enum(['standalone', 'sentinel', 'cluster']).default('standalone'),
    REDIS_URL: z.union([z.literal(''), url(['redis:', 'rediss:'])]).default(''),
    REDIS_SENTINELS: z.union([z.literal(''), hostPortList]).default(''),
    REDIS_SENTINEL_NAME: z.string().default('mymaster'),
    REDIS_CLUSTER_NODES: z.union([z.literal(''), hostPortList]).default(''),
    REDIS_PASSWORD: z.string().default(''),
    REDIS_KEY_PREFIX: z
      .string()
      .regex(/^[a-zA-Z0-9_-]{1,32}$/, 'must be 1-32 characters of letters, digits, - or _')
      .default('app'),
    REDIS_COMMAND_TIMEOUT_MS: int(10, 60_000).default(1000),
    REDIS_CACHE_URL: z.union([z.literal(''), url(['redis:', 'rediss:'])]).default(''),

    CACHE_DEFAULT_TTL_MS: int(1_000, 604_800_000).default(60_000),
    CACHE_L1_ENABLED: bool.default(true),
    CACHE_L1_MAX_ENTRIES: int(1, 10_000_000).default(20_000),
    // Estimated bytes of all L1 entries together (1 MiB .. 4 GiB; default 16 MiB).
    CACHE_L1_MAX_BYTES: int(1_048_576, 4_294_967_296).default(16_777_216),
    CACHE_L1_TTL_MS: int(100, 3_600_000).default(2_000),
    CACHE_L1_ACK_TIMEOUT_MS: int(100, 60_000).default(3_000),

    JWT_SECRET: z.string().min(32, 'must be at least 32 characters'),
    JWT_ISSUER: z.string().min(1).default('nest-commerce'),
    JWT_AUDIENCE: z.string().min(1).default('nest-commerce-api'),
    JWT_ACCESS_TTL_SECONDS: int(30, 86_400).default(900),
    JWT_REFRESH_TTL_SECONDS: int(60, 31_536_000).default(2_592_000),
    JWT_REFRESH_GRACE_SECONDS: int(0, 300).default(10),

    THROTTLE_TTL_SECONDS: int(1, 86_400).default(60),
    THROTTLE_LIMIT: int(1, 1_000_000).default(300),
    THROTTLE_RESERVE_MAX: int(1, 10_000).default(256),
    LOGIN_THROTTLE_TTL_SECONDS: int(1, 86_400).default(900),
    LOGIN_THROTTLE_EMAIL_LIMIT: int(1, 1_000_000).default(10),
    LOGIN_THROTTLE_IP_LIMIT: int(1, 1_000_000).default(50),
    LOGIN_THROTTLE_EMAIL_DELAY_AFTER: int(1, 1_000_000).default(5),
    LOGIN_THROTTLE_MAX_DELAY_MS: int(0, 60_000).default(5_000),
    REGISTER_THROTTLE_TTL_SECONDS: int(1, 86_400).default(3_600),
    REGISTER_THROTTLE_IP_LIMIT: int(1, 1_000_000).default(20),
    PASSWORD_CHECK_THROTTLE_TTL_SECONDS: int(1, 86_400).default(900),
    PASSWORD_CHECK_USER_LIMIT: int(1, 1_000_000).default(5),
    PASSWORD_CHECK_IP_LIMIT: int(1, 1_000_000).default(20),
    PASSWORD_HASH_CONCURRENCY: int(1, 256).default(4),
    PASSWORD_HASH_MAX_WAIT_MS: int(0, 60_000).default(2_000),

    SWAGGER_ENABLED: bool.default(true),

    CART_USER_TTL_SECONDS: int(1, 31_536_000).default(2_592_000),
    CART_GUEST_TTL_SECONDS: int(1, 31_536_000).default(172_800),
    CART_GUEST_THROTTLE_TTL_SECONDS: int(1, 86_400).default(3_600),
    CART_GUEST_THROTTLE_IP_LIMIT: int(1, 1_000_000).default(60),
    CART_TOKEN_SECRET: z.union([z.literal(''), z.string().min(32, 'must be at least 32 characters')]).default(''),

    ORDER_PAYMENT_TIMEOUT_MINUTES: int(0, 525_600).default(60),
    IDEMPOTENCY_KEY_RETENTION_HOURS: int(24, 8_760).default(48),

    WORKER_HOST: z.string().min(1).default('0.0.0.0'),
    WORKER_PORT: int(0, 65_535).default(3001),
    WORKER_CONCURRENCY: int(1, 256).default(8),
    JOB_ATTEMPTS: int(1, 100).default(8),
    OUTBOX_POLL_INTERVAL_MS: int(50, 600_000).default(1_000),
    OUTBOX_RELAY_ENABLED: bool.default(true),
    HOUSEKEEPING_RETENTION_HOURS: int(1, 87_600).default(168),
    CACHE_WARM_PRODUCTS: int(0, 100_000).default(200),
  })
  .superRefine((env, ctx) => {
    if (env.JWT_SECRET === SAMPLE_JWT_SECRET && !sampleSecretAllowed(env)) {
      ctx.addIssue({
        code: 'custom',
        path: ['JWT_SECRET'],
        message:
          'is the sample value from .env.example; set a real secret (the sample is accepted only with NODE_ENV=test, or NODE_ENV=development and HOST on loopback)',
      });
    }
    if (env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['HTTP_HEADERS_TIMEOUT_MS'],
        message: 'must not exceed HTTP_REQUEST_TIMEOUT_MS (the headers are part of the request)',
      });
    }
    if (env.CACHE_L1_ENABLED && env.CACHE_L1_ACK_TIMEOUT_MS <= env.CACHE_L1_TTL_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['CACHE_L1_ACK_TIMEOUT_MS'],
        message: 'must be greater than CACHE_L1_TTL_MS, or an unacknowledged instance could serve a value from before a write',
      });
    }
    if (env.REDIS_MODE === 'standalone' && !env.REDIS_URL) {
      ctx.addIssue({ code: 'custom', path: ['REDIS_URL'], message: 'is required when REDIS_MODE=standalone' });
    }
    if (env.REDIS_MODE === 'sentinel' && !env.REDIS_SENTINELS) {
      ctx.addIssue({ code: 'custom', path: ['REDIS_SENTINELS'], message: 'is required when REDIS_MODE=sentinel' });
    }
    if (env.REDIS_MODE === 'cluster' && !env.REDIS_CLUSTER_NODES) {
      ctx.addIssue({ code: 'custom', path: ['REDIS_CLUSTER_NODES'], message: 'is required when REDIS_MODE=cluster' });
    }
  });

export type Env = z.infer<typeof envSchema>;
