import { createHash } from 'node:crypto';
import type { RedisClient } from '../redis/connection.js';

/** A KEYS/ARGV value: ioredis sends a Buffer as is (binary-safe), numbers as their decimal text. */
export type LuaArg = string | number | Buffer;

const NO_ARGS: readonly LuaArg[] = [];

/**
 * The Buffer-reply variants of EVALSHA/EVAL, which ioredis (Redis and Cluster) has but does not
 * declare. Not callBuffer('evalsha', ...): with enableAutoPipelining it drops the command name.
 */
interface BufferEval {
  evalshaBuffer(sha: string, numKeys: number, ...rest: LuaArg[]): Promise<unknown>;
  evalBuffer(source: string, numKeys: number, ...rest: LuaArg[]): Promise<unknown>;
}

/**
 * The one way this library runs its Lua scripts (cache-aside stores, counters, fencing tokens; only
 * redlock, wrapped in locks/, sends its own). The script goes by SHA (EVALSHA); when the server
 * answers NOSCRIPT (first use on a node, restart, SCRIPT FLUSH) it is sent once with EVAL, which
 * caches it on the server again. ioredis defineCommand would do the same by installing a method on
 * the client, but the client is shared (the app, other libraries, workers) and the library does not
 * extend it with methods. run() uses the client it is given: the caller decides how the call is
 * guarded (e.g. GuardedRedis.run), and a Cluster sends EVALSHA and EVAL to the node of the first key.
 * Each script is written at once (not corked for the turn as the cache's reads are): an app's
 * script per request (a cart write, a rate limit) then runs on Redis while the process parses the
 * next requests; corked, a guest's GET /cart lost about 18 % of its req/s on two cores.
 */
export class LuaScript {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: RedisClient, keys: readonly string[], args: readonly LuaArg[] = NO_ARGS): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(this.source, keys.length, ...keys, ...args);
    }
  }

  /** run() with bulk replies as Buffers (nested in arrays too): binary-safe replies. */
  async runBuffer(client: RedisClient, keys: readonly string[], args: readonly LuaArg[] = NO_ARGS): Promise<unknown> {
    try {
      return await (client as unknown as BufferEval).evalshaBuffer(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return (client as unknown as BufferEval).evalBuffer(this.source, keys.length, ...keys, ...args);
    }
  }
}
