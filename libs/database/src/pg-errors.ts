import type { DomainError } from '@app/common';

/** Postgres error details (TypeORM wraps them in QueryFailedError, keeping code and constraint). */
export interface PgError {
  code?: string;
  constraint?: string;
}

export const PG = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  checkViolation: '23514',
  numericOutOfRange: '22003',
} as const;

export function pgError(error: unknown): PgError {
  const e = error as PgError & { driverError?: PgError };
  return { code: e?.driverError?.code ?? e?.code, constraint: e?.driverError?.constraint ?? e?.constraint };
}

// Network errors, server shutting down or not accepting connections (57P0x), connection
// exceptions (08xxx), too many connections (53300); no answer within the client-side query
// timeout (a network partition: the server never saw the statement, or its answer never came).
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EAI_AGAIN',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);
const UNAVAILABLE_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated|connection timeout|not queryable|Client has encountered a connection error|Client was closed|Query read timeout/i;

/**
 * The database could not be reached or took no more connections (as opposed to refusing the
 * statement): the request may succeed later, so it is "unavailable", never a 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: unknown; driverError?: { code?: unknown }; message?: unknown };
  const code = e?.driverError?.code ?? e?.code;
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
  return typeof e?.message === 'string' && UNAVAILABLE_MESSAGES.test(e.message);
}

/** One rule: a Postgres error code (and optionally a constraint name) and the domain error it means. */
export interface PgErrorRule {
  code: (typeof PG)[keyof typeof PG];
  constraint?: string;
  error: (details: PgError) => DomainError;
}

/**
 * The domain error a database error means under `rules` (first match), or the error unchanged: a
 * constraint the caller did not expect stays a 500 and is logged, never shown.
 */
export function translatePgError(error: unknown, rules: readonly PgErrorRule[]): unknown {
  const details = pgError(error);
  if (!details.code) return error;
  const rule = rules.find((r) => r.code === details.code && (r.constraint === undefined || r.constraint === details.constraint));
  return rule ? rule.error(details) : error;
}

/** Runs a database write and rethrows its failure translated by `rules`. */
export async function withPgErrors<T>(rules: readonly PgErrorRule[], work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translatePgError(error, rules);
  }
}
