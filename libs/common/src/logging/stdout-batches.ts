import { writeSync } from 'node:fs';

/** How long the exit flush waits, in all, for a full pipe to take the last lines (ms). */
const EXIT_WAIT_MS = 2_000;
/** How soon a write a full pipe refused is tried again (ms). */
const RETRY_MS = 5;

/**
 * Log lines collected and written to stdout a batch at a time (about `minLength` bytes, or what a
 * flush finds), each batch with one synchronous write from the main thread. On a full
 * non-blocking pipe (EAGAIN), what the pipe did not take stays queued here, in order, and is tried
 * again a few milliseconds later: the event loop never waits for the reader. At exit the queue is
 * written synchronously, waiting for room if need be.
 *
 * Why not sonic-boom (pino.destination): in its asynchronous mode each batch was an fs.write in
 * libuv's thread pool, and a cached GET under load kept five to seven times more young objects
 * alive at each scavenge, with a full collection every half second; in its synchronous mode, on a
 * full non-blocking pipe it sleeps 100 ms before trying again, which stalled the API behind a slow
 * log reader. Nor Node's stdout stream: what it queues for a full pipe is lost at process.exit().
 */
export class StdoutBatches {
  /** Read by the access log, which then joins the lines of a turn before writing them here. */
  readonly minLength: number;
  destroyed = false;
  private pending: Buffer[] = [];
  private bytes = 0;
  /** Bytes of pending[0] already written. */
  private offset = 0;
  private retry: NodeJS.Timeout | undefined;
  private waiting: (() => void)[] = [];

  constructor(
    minLength: number,
    private readonly fd = 1,
  ) {
    this.minLength = minLength;
  }

  write(data: string | Buffer): boolean {
    if (this.destroyed) return false;
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    this.pending.push(buf);
    this.bytes += buf.length;
    if (this.bytes >= this.minLength && this.retry === undefined) this.drain();
    return true;
  }

  /** Writes the pending lines; `done` once all of them are written. */
  flush(done?: (err?: Error | null) => void): void {
    if (this.retry === undefined) this.drain();
    if (done === undefined) return;
    if (this.bytes === 0) process.nextTick(done);
    else this.waiting.push(() => done());
  }

  /** At exit (no event loop left): writes everything, waiting a millisecond at a time for room. */
  flushSync(): void {
    const pause = new Int32Array(new SharedArrayBuffer(4));
    for (let waited = 0; this.bytes > 0 && !this.destroyed && waited < EXIT_WAIT_MS; waited++) {
      if (this.writeSome()) return;
      Atomics.wait(pause, 0, 0, 1);
    }
  }

  private readonly drain = (): void => {
    this.retry = undefined;
    if (this.writeSome()) {
      for (const done of this.waiting.splice(0)) done();
    } else if (!this.destroyed) this.retry = setTimeout(this.drain, RETRY_MS).unref();
  };

  /** Writes as much as the fd takes: true once nothing is pending (or writing failed for good). */
  private writeSome(): boolean {
    if (this.pending.length > 1) {
      this.pending = [Buffer.concat(this.pending).subarray(this.offset)];
      this.offset = 0;
    }
    while (this.bytes > 0) {
      const buf = this.pending[0];
      let n: number;
      try {
        n = writeSync(this.fd, buf, this.offset);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return false;
        // A closed reader (EPIPE) or a bad fd ends the logging, not the process.
        this.destroyed = true;
        this.pending = [];
        this.bytes = 0;
        return true;
      }
      this.offset += n;
      this.bytes -= n;
      if (this.offset === buf.length) {
        this.pending.shift();
        this.offset = 0;
      }
    }
    return true;
  }
}
