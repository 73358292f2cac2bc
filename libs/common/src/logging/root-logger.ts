import pino, { type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import { REDACTED_PATHS, createErrorSerializer } from './error-serializer.js';

const FLUSH_EVERY_MS = 250;
let buffered: { bytes: number; stream: DestinationStream } | undefined;

export interface RootLoggerOptions {
  level: LevelWithSilent;
  /**
   * > 0: lines are collected and written in batches of about this many bytes (one write syscall
   * per batch instead of one per line, each write synchronous), flushed at least every 250 ms
   * and at exit. 0: pino's synchronous stdout, a write per line.
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
  // Buffer mode: sonic-boom keeps pending lines as Buffers, off the V8 heap. In its utf8 mode it
  // appends each write to a pending string and measures that string's UTF-8 length (flattening
  // it); under load those strings outlived the write in flight and two scavenges, and were most
  // of what the API promoted to the old generation (24 of 40 MB in 8 s of cached GETs), whose
  // collections (10-13 ms pauses every few seconds) made its p99. pino writes strings: each is
  // encoded once here.
  // Synchronous writes, one per batch (pino's default mode): with asynchronous ones (fs.write in
  // libuv's thread pool) a cached GET under load kept 5-7 times more young objects alive at each
  // scavenge (about 290 KB instead of 44 KB) and ran 8-11 full collections per 4 s instead of 0-1,
  // at 65-90 instead of 45-50 µs of CPU per request. A batch is about bufferBytes, so the
  // write costs little; a full stdout pipe holds the process back instead of piling lines up.
  const stream = pino.destination({ dest: 1, sync: true, minLength: bufferBytes, contentMode: 'buffer' });
  const writeBuffer = stream.write.bind(stream) as (data: string | Buffer) => boolean;
  stream.write = (data: string | Buffer): boolean => writeBuffer(typeof data === 'string' ? Buffer.from(data) : data);
  // minLength alone would hold the last lines of a quiet period until more arrive.
  setInterval(() => stream.flush(), FLUSH_EVERY_MS).unref();
  // pino flushes at exit only the destinations it made asynchronous: the last batch is written here
  // (also after an uncaught exception, which exits).
  process.on('exit', () => {
    if (!(stream as { destroyed?: boolean }).destroyed) stream.flushSync();
  });
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
