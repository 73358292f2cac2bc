export type RedisArg = string | number | Buffer;

/** One queued command and how to turn its raw reply into a typed value. */
export interface BatchCommand<T> {
  readonly name: string;
  readonly args: readonly RedisArg[];
  readonly parse: (reply: unknown) => T;
}

export type BatchResult<T> = { ok: true; value: T } | { ok: false; error: Error };

/** Tuple of commands → tuple of per-command results, in order. */
export type BatchResults<C extends readonly BatchCommand<unknown>[]> = {
  -readonly [K in keyof C]: C[K] extends BatchCommand<infer T> ? BatchResult<T> : never;
};

/** Tuple of commands → tuple of values (transactions throw instead of returning failures). */
export type BatchValues<C extends readonly BatchCommand<unknown>[]> = {
  -readonly [K in keyof C]: C[K] extends BatchCommand<infer T> ? T : never;
};
