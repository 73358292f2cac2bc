import { Cluster } from 'ioredis';
import type { RedisClient } from './connection.js';

interface Corkable {
  cork?(): void;
  uncork(): void;
}

/** Sockets corked until the end of the current event-loop turn. */
const corked = new WeakSet<Corkable>();

/**
 * ioredis writes each command to the socket on its own (one syscall each). Corking the socket
 * until setImmediate sends every command issued in this event-loop turn in a single write: all
 * the requests an HTTP server read in one poll phase (each in its own callback, so a per-tick
 * cork would write once per request) share one syscall. A lone command waits only for the
 * current turn's callbacks. Idempotent within a turn; Cluster connections are left alone.
 */
export function corkForTurn(client: RedisClient): void {
  if (client instanceof Cluster) return;
  const stream = client.stream as Corkable | undefined;
  if (stream === undefined || typeof stream.cork !== 'function' || corked.has(stream)) return;
  stream.cork();
  corked.add(stream);
  setImmediate(() => {
    corked.delete(stream);
    stream.uncork();
  });
}
