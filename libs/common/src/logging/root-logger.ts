import pino, { type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

const FLUSH_EVERY_MS = 250;
let buffered: { bytes: number; stream: DestinationStream } | undefined;

export interface RootLoggerOptions {
  level: LevelWithSilent;
  /**
   * > 0: lines are collected and written in batches of about this many bytes (one write syscall
   * per batch instead of one per line), flushed at least every 250 ms and synchronously at exit.
   * 0: pino's synchronous stdout.
   */
  bufferBytes?: number;
}

/**
 * stdout for the buffered case. One destination per process: every app instance in the process
 * shares it. pino registers the synchronous flush at exit for non-sync destinations; it
 * also runs after an uncaught exception.
 */
function destination(bufferBytes: number): DestinationStream {
  if (buffered?.bytes === bufferBytes) return buffered.stream;
  const stream = pino.destination({ dest: 1, sync: false, minLength: bufferBytes });
  // minLength alone would hold the last lines of a quiet period until more arrive.
  setInterval(() => stream.flush(), FLUSH_EVERY_MS).unref();
  buffered = { bytes: bufferBytes, stream };
  return stream;
}

/** The process's JSON logger (pino): one line per event, `err` serialized with its stack. */
export function createRootLogger(options: RootLoggerOptions): Logger {
  const settings = { level: options.level, serializers: { err: pino.stdSerializers.err } };
  const bytes = options.bufferBytes ?? 0;
  return bytes > 0 ? pino(settings, destination(bytes)) : pino(settings);
}
