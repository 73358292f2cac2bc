import { Redis } from 'ioredis';
import { startRedisServer, type RedisServerHandle } from '../testing/redis-harness.js';
import { watchSocketWrites } from '../testing/socket-writes.js';
import { closeConnection, waitForReady } from './connection.js';
import { corkForTurn } from './turn-cork.js';

/** corkForTurn on a private Redis: how the commands of one event-loop turn reach the socket. */
describe('corkForTurn', () => {
  let server: RedisServerHandle;
  let client: Redis;

  beforeAll(async () => {
    server = await startRedisServer();
    client = new Redis(server.url);
    await waitForReady(client);
  });

  afterAll(async () => {
    await closeConnection(client);
    await server.dispose();
  });

  /** Sends `n` INCRs in one turn, corked per command as a caller would; the socket writes and the replies. */
  async function turn(n: number, cork: (() => void) | undefined): Promise<{ writes: number; replies: number[] }> {
    const writes = watchSocketWrites(client);
    try {
      const replies = await Promise.all(
        Array.from({ length: n }, (_, i) => {
          cork?.();
          return client.incrby(`tc:${i}`, 1);
        }),
      );
      return { writes: writes.total, replies };
    } finally {
      writes.restore();
    }
  }

  it('sends a turn’s commands in one write, or in writes of `chunk` commands, each answered in order', async () => {
    await client.flushdb();
    const ones = Array.from({ length: 20 }, () => 1);
    expect(await turn(20, undefined)).toEqual({ writes: 20, replies: ones });
    expect(await turn(20, () => corkForTurn(client))).toEqual({ writes: 1, replies: ones.map(() => 2) });
    expect(await turn(20, () => corkForTurn(client, 8))).toEqual({ writes: 3, replies: ones.map(() => 3) });
    expect(await turn(16, () => corkForTurn(client, 8))).toEqual({ writes: 2, replies: ones.slice(0, 16).map(() => 4) });
    expect((await turn(17, () => corkForTurn(client, 8))).writes).toBe(3);
  });

  it('starts over in the next turn: a lone command is written at the end of its own turn', async () => {
    expect((await turn(1, () => corkForTurn(client, 8))).writes).toBe(1);
    expect((await turn(3, () => corkForTurn(client))).writes).toBe(1);
    expect(await client.ping()).toBe('PONG'); // uncorked again: written at once
  });
});
