import { writeSync } from 'node:fs';
import type { Writable } from 'node:stream';

/** How long the exit flush waits, in all, for a full pipe to take its last batch (ms). */
const EXIT_WAIT_MS = 2_000;

/**
 * Log lines collected and written to stdout a batch at a time (about `minLength` bytes, or what a
 * flush finds), through Node's own stdout stream. To a file or a terminal that stream writes
 * synchronously; to a pipe or a socket it writes at once while there is room (no thread pool), and
 * queues the rest until the reader takes it, without holding up the event loop.
 *
 * Why not sonic-boom (pino.destination): in its asynchronous mode each batch was an fs.write in
 * libuv's thread pool, and a cached GET under load kept five to seven times more young objects
 * alive at each scavenge, with a full collection every half second; in its synchronous mode, on a
 * full non-blocking pipe (EAGAIN) it sleeps 100 ms before trying again, which stalled the API
 * behind a slow log reader.
 */
export class StdoutBatches {
  /** Read by the access log, which then joins the lines of a turn before writing them here. */
  readonly minLength: number;
  destroyed = false;
  private pending: Buffer[] = [];
  private bytes = 0;

  constructor(
    minLength: number,
    private readonly out: Writable & { fd?: number } = process.stdout,
  ) {
    this.minLength = minLength;
    // A closed reader (EPIPE) ends the logging, not the process.
    out.on('error', () => {
      this.destroyed = true;
      this.pending = [];
    });
  }

  write(data: string | Buffer): boolean {
    if (this.destroyed) return false;
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    this.pending.push(buf);
    this.bytes += buf.length;
    if (this.bytes >= this.minLength) this.flush();
    return true;
  }

  /** Hands the pending lines to stdout; `done` once stdout has written everything given so far. */
  flush(done?: (err?: Error | null) => void): void {
    const batch = this.take();
    if (batch !== undefined && !this.destroyed) this.out.write(batch, done === undefined ? undefined : () => done());
    else if (done === undefined) return;
    else if (this.out.writableLength > 0 && !this.destroyed) this.out.once('drain', () => done());
    else process.nextTick(done);
  }

  /**
   * At exit: the pending lines, written synchronously (the event loop is gone). On a full
   * non-blocking pipe it waits for room, a millisecond at a time, up to EXIT_WAIT_MS in all.
   */
  flushSync(): void {
    const batch = this.take();
    const fd = this.out.fd;
    if (batch === undefined || this.destroyed || fd === undefined) return;
    const pause = new Int32Array(new SharedArrayBuffer(4));
    let at = 0;
    for (let waited = 0; at < batch.length && waited < EXIT_WAIT_MS;) {
      try {
        at += writeSync(fd, batch, at);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return;
        Atomics.wait(pause, 0, 0, 1);
        waited++;
      }
    }
  }

  private take(): Buffer | undefined {
    if (this.bytes === 0) return undefined;
    const batch = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.bytes);
    this.pending = [];
    this.bytes = 0;
    return batch;
  }
}
