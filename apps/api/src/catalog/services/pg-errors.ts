/** Postgres error details (TypeORM wraps them in QueryFailedError, keeping code and constraint). */
export interface PgError {
  code?: string;
  constraint?: string;
}

export function pgError(error: unknown): PgError {
  const e = error as PgError & { driverError?: PgError };
  return { code: e?.driverError?.code ?? e?.code, constraint: e?.driverError?.constraint ?? e?.constraint };
}

export const PG = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  checkViolation: '23514',
  numericOutOfRange: '22003',
} as const;
