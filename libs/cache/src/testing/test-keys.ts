import { randomBytes } from 'node:crypto';
import { isCluster, type RedisClient } from '../redis/connection.js';

/** A key prefix no other test run shares (the Redis on :6379 is shared by everyone). */
export function uniquePrefix(label: string): string {
  return `t-${label}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Deletes the keys under `prefix:` (and only those), on every master of a cluster. */
export async function deleteKeysWithPrefix(client: RedisClient, prefix: string): Promise<number> {
  const nodes = isCluster(client) ? client.nodes('master') : [client];
  let deleted = 0;
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      // One key at a time: on a cluster, keys of one node may still live in different slots.
      for (const key of keys) deleted += await node.unlink(key);
    } while (cursor !== '0');
  }
  return deleted;
}
