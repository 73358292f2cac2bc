/** An error as it is written to the log. */
export interface SerializedError {
  type: string;
  message: string;
  stack?: string;
  code?: string | number;
  cause?: SerializedError;
  [field: string]: unknown;
}

/**
 * Fields copied from an error, when they are strings or numbers: codes and names that say what
 * failed without carrying data. Everything else an error may hold is left out: TypeORM's
 * QueryFailedError carries the SQL (`query`), its `parameters` (emails, password hashes, tokens)
 * and the driver's error (`driverError`, `detail`: "Key (email)=(…) already exists", `where`);
 * HTTP and Redis clients carry their options (URLs with passwords).
 */
const SAFE_FIELDS = [
  'code',
  'errno',
  'syscall',
  'statusCode',
  'status',
  'severity',
  'routine',
  'schema',
  'table',
  'column',
  'constraint',
] as const;

/** Patterns of secrets, replaced in every message and stack. */
const SECRET_PATTERNS: Array<[RegExp, string]> = [
  // JWTs (header.payload.signature, base64url, the header always starts with {" = eyJ).
  [/eyJ[\w-]*\.[\w-]+\.[\w-]*/g, '[jwt]'],
  // argon2 (and other PHC-format) password hashes.
  // PHC strings: $argon2id$v=19$m=19456,t=2,p=1$salt$hash (commas inside a segment only).
  [/\$argon2(?:id|i|d)?(?:\$[^\s$"'`;,)]*(?:,[^\s$"'`;,)]+)*)+/g, '[hash]'],
  [/\$(?:2[aby]?|scrypt|pbkdf2[\w-]*)(?:\$[^\s$"'`;,)]*(?:,[^\s$"'`;,)]+)*)+/g, '[hash]'],
  // Credentials in URLs: scheme://user:password@host.
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s/@]*@/gi, '$1:[redacted]@'],
  [/\bBearer\s+[\w.~+/-]+=*/gi, 'Bearer [redacted]'],
  [/[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g, '[email]'],
];

/** Values shorter than this are not cut out of messages (they would cut ordinary words). */
const MIN_SECRET_LENGTH = 4;
const MAX_CAUSE_DEPTH = 3;

/**
 * pino serializer for `err`: type, message, stack, codes, and the cause chain, with secrets cut
 * out of the message and stack: the error's own query parameters, the given secret values
 * (config: JWT and cart token secrets, database and Redis passwords), and anything shaped like a
 * JWT, a password hash, URL credentials, a bearer token or an email address. Postgres messages
 * quote the value they refused ("invalid input syntax for type uuid: \"…\""), so the message is
 * scrubbed too, not only the fields.
 */
export function createErrorSerializer(secrets: readonly (string | null | undefined)[] = []): (err: unknown) => SerializedError {
  const known = secrets.filter((s): s is string => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH);
  return (err) => serialize(err, known, 0);
}

function serialize(err: unknown, secrets: readonly string[], depth: number): SerializedError {
  if (typeof err !== 'object' || err === null) return { type: typeof err, message: scrub(String(err), secrets) };
  const error = err as Record<string, unknown>;
  const values = [
    ...secrets,
    ...parameterValues(error.parameters),
    ...parameterValues((error.driverError as Record<string, unknown> | undefined)?.parameters),
  ];
  const out: SerializedError = {
    type: err instanceof Error ? err.constructor.name || err.name : typeof error.type === 'string' ? error.type : 'Object',
    message: typeof error.message === 'string' ? scrub(error.message, values) : '',
  };
  if (typeof error.stack === 'string') out.stack = scrub(error.stack, values);
  const driver = (typeof error.driverError === 'object' && error.driverError !== null ? error.driverError : {}) as Record<string, unknown>;
  for (const field of SAFE_FIELDS) {
    const value = error[field] ?? driver[field];
    if (typeof value === 'string' || typeof value === 'number') out[field] = typeof value === 'string' ? scrub(value, values) : value;
  }
  if (error.cause !== undefined && depth < MAX_CAUSE_DEPTH) out.cause = serialize(error.cause, secrets, depth + 1);
  if (Array.isArray(error.errors) && depth < MAX_CAUSE_DEPTH)
    out.errors = error.errors.slice(0, 5).map((e: unknown) => serialize(e, secrets, depth + 1));
  return out;
}

/** The strings among query parameters. */
function parameterValues(parameters: unknown): string[] {
  return Array.isArray(parameters) ? stringsIn(parameters) : [];
}

/**
 * The strings (of at least 4 characters) inside a value: a request body, query parameters.
 * Bounded: at most `max` strings, `maxDepth` levels.
 */
export function stringsIn(value: unknown, max = 200, maxDepth = 8): string[] {
  const found: string[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (found.length >= max) return;
    if (typeof v === 'string') {
      if (v.length >= MIN_SECRET_LENGTH) found.push(v);
    } else if (typeof v === 'object' && v !== null && depth < maxDepth && !Buffer.isBuffer(v)) {
      for (const child of Array.isArray(v) ? v : Object.values(v)) walk(child, depth + 1);
    }
  };
  walk(value, 0);
  return found;
}

/** The text with the given values and every secret-shaped substring replaced. */
export function scrub(text: string, values: readonly string[] = []): string {
  let out = text;
  // Longest first, so a value containing another is cut out whole.
  for (const value of [...values].sort((a, b) => b.length - a.length)) if (out.includes(value)) out = out.split(value).join('[redacted]');
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/**
 * Field paths pino blanks out in any log line (defence in depth: no code logs these on purpose).
 * Top-level names and request headers only: each path is a direct property check per line.
 */
export const REDACTED_PATHS = [
  'password',
  'currentPassword',
  'passwordHash',
  'token',
  'accessToken',
  'refreshToken',
  'secret',
  'authorization',
  'parameters',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-cart-token"]',
];
