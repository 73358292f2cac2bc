import type { BatchResult } from './batch-command.js';

/** EXEC did not run: a command was rejected while queueing (EXECABORT) or EXEC returned null. Nothing was applied. */
export class TransactionAbortedError extends Error {
  override readonly name = 'TransactionAbortedError';
}

/**
 * EXEC ran, but some commands failed at run time (e.g. INCR on a non-integer). Redis does not roll
 * back: the other commands WERE applied; `results` says which.
 */
export class TransactionCommandError extends Error {
  override readonly name = 'TransactionCommandError';
  constructor(readonly results: readonly BatchResult<unknown>[]) {
    const failed = results.flatMap((r, i) => (r.ok ? [] : [`#${i}: ${r.error.message}`]));
    super(`Transaction ran but ${failed.length} command(s) failed (the others were applied): ${failed.join('; ')}`);
  }
}
