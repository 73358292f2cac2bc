import { Cluster, Command } from 'ioredis';
import type { RedisClient } from '../redis/connection.js';
import { corkForTurn } from '../redis/turn-cork.js';
import { CacheTimeoutError, CircuitBreaker, withTimeout } from './circuit-breaker.js';

/** Returned instead of throwing when Redis could not be used (open circuit, timeout, connection error). */
export const FAILED: unique symbol = Symbol('cache.failed');
export type Failed = typeof FAILED;

type Arg = string | Buffer | number;
type CommandOptions = ConstructorParameters<typeof Command>[2];

/**
 * A command of the guarded hot path. Its deadline is kept by the DeadlineQueue of its GuardedRedis,
 * so ioredis' per-command timer (the client's `commandTimeout`, which stays in force for every other
 * user of the client) is not armed for it.
 */
class GuardedCommand extends Command {
  /** DeadlineQueue tick at which it was sent. */
  tick = 0;

  override setTimeout(_ms: number): void {}
}

/**
 * Deadlines of the guarded commands. They all have the same timeout, so they expire in the order
 * they were sent: one FIFO and one timer instead of a timer per command. Time is counted in ticks
 * of timeoutMs/8 instead of reading the clock per command; a command that is still pending
 * 8 to 9 ticks after it was sent (between timeoutMs and 1.125 × timeoutMs) is rejected with a
 * CacheTimeoutError, which the caller handles like any Redis failure (fail open). Settled commands
 * leave the queue as soon as they reach its head, so it holds about the commands in flight.
 */
class DeadlineQueue {
  private buf: (GuardedCommand | undefined)[] = new Array<GuardedCommand | undefined>(64);
  private head = 0;
  private size = 0;
  private tick = 0;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly tickMs: number;
  private static readonly TICKS = 8;

  constructor(readonly timeoutMs: number) {
    this.tickMs = Math.max(1, Math.ceil(timeoutMs / DeadlineQueue.TICKS));
  }

  add(cmd: GuardedCommand): void {
    if (!this.running) {
      // A new tick starts now, so "TICKS + 1 ticks later" is at least timeoutMs from here.
      this.running = true;
      this.tick++;
      if (this.timer === undefined) {
        this.timer = setTimeout(this.onTick, this.tickMs);
        this.timer.unref();
      } else this.timer.refresh();
    }
    cmd.tick = this.tick;
    if (this.size === this.buf.length) this.grow();
    this.buf[(this.head + this.size) & (this.buf.length - 1)] = cmd;
    this.size++;
  }

  /** Drops settled commands from the head (replies arrive in order on one connection). */
  drain(): void {
    const buf = this.buf;
    const mask = buf.length - 1;
    while (this.size > 0 && buf[this.head]!.isSettled) {
      buf[this.head] = undefined;
      this.head = (this.head + 1) & mask;
      this.size--;
    }
  }

  get pending(): number {
    return this.size;
  }

  private readonly onTick = (): void => {
    const now = ++this.tick;
    const buf = this.buf;
    const mask = buf.length - 1;
    while (this.size > 0) {
      const cmd = buf[this.head]!;
      if (!cmd.isSettled) {
        if (now - cmd.tick <= DeadlineQueue.TICKS) break;
        cmd.reject(new CacheTimeoutError(this.timeoutMs));
      }
      buf[this.head] = undefined;
      this.head = (this.head + 1) & mask;
      this.size--;
    }
    if (this.size > 0) this.timer!.refresh();
    else this.running = false;
  };

  private grow(): void {
    const old = this.buf;
    const next = new Array<GuardedCommand | undefined>(old.length * 2);
    for (let i = 0; i < this.size; i++) next[i] = old[(this.head + i) & (old.length - 1)];
    this.buf = next;
    this.head = 0;
  }
}

export interface GuardedRedisOptions {
  /** Deadline per call when the client has no commandTimeout of its own (default 500 ms). */
  timeoutMs?: number;
  onError?: (err: unknown) => void;
  /** Send the commands issued in one event-loop turn in one socket write (default true; not on a cluster). */
  coalesceWrites?: boolean;
}

/**
 * Runs Redis commands behind the circuit breaker and never throws: the cache fails open.
 *
 * Two ways in:
 * - `run(fn)` for anything (several commands, scripts, scans): a client created by
 *   createRedisConnection has a commandTimeout, so no extra timer is armed per call; for foreign
 *   clients without one, each call gets its own deadline.
 * - the hot path, `admit()` + `command()` + `succeeded()`/`failed()`: one command with the shared
 *   deadline queue (same deadline: the client's commandTimeout, else timeoutMs), no per-command
 *   timer, and the commands sent in one event-loop turn leave in one socket write.
 */
export class GuardedRedis {
  private readonly timeoutMs: number | undefined;
  private readonly onError?: (err: unknown) => void;
  private readonly deadlines: DeadlineQueue;
  /** Commands can be handed to client.sendCommand (no auto-pipelining, no friendly error stacks). */
  private readonly direct: boolean;
  private readonly stringOpts: CommandOptions;
  private readonly bufferOpts: CommandOptions;
  private readonly coalesceWrites: boolean;

  constructor(
    readonly client: RedisClient,
    readonly breaker: CircuitBreaker,
    opts: GuardedRedisOptions = {},
  ) {
    // (On a Cluster, the command timeout is a node option; key prefix and error stacks are the
    // cluster's own, as its command methods use them.)
    const options = client.options as {
      commandTimeout?: number;
      keyPrefix?: string;
      enableAutoPipelining?: boolean;
      showFriendlyErrorStack?: boolean;
      redisOptions?: { commandTimeout?: number };
    };
    const native = options.commandTimeout ?? options.redisOptions?.commandTimeout;
    this.timeoutMs = native ? undefined : (opts.timeoutMs ?? 500);
    this.onError = opts.onError;
    this.deadlines = new DeadlineQueue(native || (opts.timeoutMs ?? 500));
    // Commands are built here as the client's command methods would build them.
    this.direct = !options.enableAutoPipelining && !options.showFriendlyErrorStack;
    this.stringOpts = { replyEncoding: 'utf8', keyPrefix: options.keyPrefix };
    this.bufferOpts = { replyEncoding: null, keyPrefix: options.keyPrefix };
    this.coalesceWrites = opts.coalesceWrites !== false && !(client instanceof Cluster);
  }

  /** True when a call would be attempted (closed or probe available). Does not consume the probe. */
  get available(): boolean {
    return this.breaker.state === 'closed';
  }

  /** Runs fn; on failure counts it in `counters.errors` (when given) and returns FAILED. */
  async run<T>(fn: (client: RedisClient) => Promise<T>, counters?: { errors: number }): Promise<T | Failed> {
    if (!this.breaker.allow()) return FAILED;
    // What fn sends before its first await (a script, a pipeline's exec) joins this turn's write.
    if (this.coalesceWrites) corkForTurn(this.client);
    try {
      const p = fn(this.client);
      const result = this.timeoutMs ? await withTimeout(p, this.timeoutMs) : await p;
      this.breaker.success();
      return result;
    } catch (err) {
      this.failed(err, counters);
      return FAILED;
    }
  }

  /**
   * Hot path, step 1: whether a call may go to Redis now. When true, the caller must report the
   * outcome once with succeeded() or failed() (a half-open probe waits for it).
   */
  admit(): boolean {
    return this.breaker.allow();
  }

  /**
   * Hot path, step 2: sends one command with the shared deadline. The promise rejects on a Redis
   * error, a connection error or at the deadline; it never throws synchronously.
   */
  command(name: string, args: Arg[], binary: boolean): Promise<unknown> {
    try {
      if (!this.direct) {
        const fn = (this.client as unknown as Record<string, (...a: Arg[]) => Promise<unknown>>)[binary ? `${name}Buffer` : name];
        const p = fn.apply(this.client, args);
        return this.timeoutMs ? withTimeout(p, this.timeoutMs) : p;
      }
      const cmd = new GuardedCommand(name, args, binary ? this.bufferOpts : this.stringOpts);
      if (this.coalesceWrites) corkForTurn(this.client);
      void this.client.sendCommand(cmd);
      this.deadlines.add(cmd);
      return cmd.promise as Promise<unknown>;
    } catch (err) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- what the client threw, unchanged
      return Promise.reject(err);
    }
  }

  /** Hot path, step 3 (success). */
  succeeded(): void {
    this.breaker.success();
    this.deadlines.drain();
  }

  /** Hot path, step 3 (failure): counts it in `counters.errors` (when given) and reports it. */
  failed(err: unknown, counters?: { errors: number }): void {
    this.breaker.failure(err);
    if (counters) counters.errors++;
    this.deadlines.drain();
    this.onError?.(err);
  }

  /** Guarded commands waiting for their reply or their deadline (diagnostics: 0 once all settled). */
  get pendingDeadlines(): number {
    return this.deadlines.pending;
  }
}
