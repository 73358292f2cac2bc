import type { Redis } from 'ioredis';

/** The client socket's writes (each a syscall), counted by kind until `restore()`. */
export interface SocketWrites {
  readonly write: number;
  readonly writev: number;
  /** write + writev. */
  readonly total: number;
  restore(): void;
}

/** Starts counting the `_write` and `_writev` calls of `client`'s socket (Node's net.Socket). */
export function watchSocketWrites(client: Redis): SocketWrites {
  const socket = client.stream as unknown as Record<'_write' | '_writev', (...a: unknown[]) => unknown>;
  const [write, writev] = [socket._write, socket._writev];
  const counts = {
    write: 0,
    writev: 0,
    get total(): number {
      return this.write + this.writev;
    },
    restore(): void {
      socket._write = write;
      socket._writev = writev;
    },
  };
  socket._write = function (...a) {
    counts.write++;
    return write.apply(this, a);
  };
  socket._writev = function (...a) {
    counts.writev++;
    return writev.apply(this, a);
  };
  return counts;
}
