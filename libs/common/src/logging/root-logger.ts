import pino, { type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import { REDACTED_PATHS, createErrorSerializer } from './error-serializer.js';
import { StdoutBatches } from './stdout-batches.js';

const FLUSH_EVERY_MS = 250;
let buffered: { bytes: number; stream: DestinationStream } | undefined;

export interface RootLoggerOptions {
  level: LevelWithSilent;
  /**
   * > 0: lines are collected and written in batches of about this many bytes (one write syscall
   * per batch instead of one per line: see StdoutBatches), flushed at least every 250 ms and at
   * exit. 0: pino's synchronous stdout, a write per line.
   */
  bufferBytes?: number;
  /** Values cut out of every logged error (config secrets: see configSecrets()). */
  secrets?: readonly (string | null | undefined)[];
  /** Where lines go instead of stdout (tests capture them). */
  destination?: DestinationStream;
}

/**
 * stdout for the buffered case. One destination per process: every app instance in the process
 * shares it.
 */
function destination(bufferBytes: number): DestinationStream {
  if (buffered?.bytes === bufferBytes) return buffered.stream;
  // Buffers, off the V8 heap: a string appended to per line and measured for its UTF-8 length
  // (sonic-boom's utf8 mode) outlived two scavenges under load and filled the old generation.
  const stream = new StdoutBatches(bufferBytes);
  // minLength alone would hold the last lines of a quiet period until more arrive.
  setInterval(() => stream.flush(), FLUSH_EVERY_MS).unref();
  // Also after an uncaught exception, which exits.
  process.on('exit', () => stream.flushSync());
  buffered = { bytes: bufferBytes, stream };
  return stream;
}

/**
 * The process's JSON logger (pino): one line per event. `err` is written with its type, message,
 * stack, codes and causes, never with the data it carries (SQL parameters, driver details,
 * secrets): see createErrorSerializer. Password and token fields at the top of a line, and the
 * authorization, cookie and cart token request headers, are blanked (REDACTED_PATHS).
 */
export function createRootLogger(options: RootLoggerOptions): Logger {
  const settings = {
    level: options.level,
    serializers: { err: createErrorSerializer(options.secrets) },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  if (options.destination) return pino(settings, options.destination);
  const bytes = options.bufferBytes ?? 0;
  return bytes > 0 ? pino(settings, destination(bytes)) : pino(settings);
}
