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
