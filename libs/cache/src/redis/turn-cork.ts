import { Cluster } from 'ioredis';
import type { RedisClient } from './connection.js';

interface Corkable {
  cork?(): void;
  uncork(): void;
}

/** Sockets corked until the end of the current event-loop turn, with the commands corked since their last write. */
const corked = new Map<Corkable, number>();

/**
 * ioredis writes each command to the socket on its own (one syscall each). Corking the socket
 * until setImmediate sends the commands issued in this event-loop turn together: all the requests
 * an HTTP server read in one poll phase (each in its own callback, so a per-tick cork would write
 * once per request) share a write. A lone command waits only for the current turn's callbacks.
 *
 * `chunk` (default: the whole turn in one write) writes every `chunk` commands as they come: Redis
 * then starts on a burst's first commands while the process is still reading the rest of it,
 * instead of waiting for the whole turn and leaving the process idle while it works through them.
 * Idempotent within a turn; Cluster connections are left alone.
 */
export function corkForTurn(client: RedisClient, chunk = Infinity): void {
  if (client instanceof Cluster) return;
  const stream = client.stream as Corkable | undefined;
  if (stream === undefined || typeof stream.cork !== 'function') return;
  const count = corked.get(stream);
  if (count === undefined) {
    stream.cork();
    corked.set(stream, 1);
    setImmediate(() => {
      corked.delete(stream);
      stream.uncork();
    });
  } else if (count < chunk) corked.set(stream, count + 1);
  else {
    // A full chunk: written now; the socket stays corked for the rest of the turn.
    stream.uncork();
    stream.cork();
    corked.set(stream, 1);
  }
}
