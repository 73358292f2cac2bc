import { createHash } from 'node:crypto';
import type { RedisClient } from '../redis/connection.js';

/**
 * A Lua script sent by SHA (EVALSHA), falling back to EVAL when the server does not know it yet
 * (first use, restart, SCRIPT FLUSH). We do not use ioredis defineCommand: the client is shared and
 * we should not add methods to it.
 */
export class LuaScript {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: RedisClient, keys: readonly string[], args: readonly (string | number)[] = []): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
