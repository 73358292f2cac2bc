import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'x-request-id';

// Printable, header-safe and short: anything else could poison logs, so it is replaced.
const WELL_FORMED = /^[A-Za-z0-9._:-]{1,128}$/;

/** Echoes a well-formed incoming request id, otherwise generates one. */
export function resolveRequestId(incoming: unknown): string {
  const value: unknown = Array.isArray(incoming) ? incoming[0] : incoming;
  return typeof value === 'string' && WELL_FORMED.test(value) ? value : randomUUID();
}
