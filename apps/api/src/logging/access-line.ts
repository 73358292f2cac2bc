import pino, { type Level, type Logger } from 'pino';

/** What an access line says (see registerAccessLog). */
export interface AccessFields {
  requestId: string;
  method: string;
  url: string;
  remoteAddress: string | undefined;
  statusCode: number;
  responseTime: number;
}

export type AccessLineWriter = (level: Level, fields: AccessFields) => void;

type Stream = { write(line: string): unknown; [key: symbol]: unknown };

const { chindingsSym, streamSym, timeSym, mixinSym, hooksSym, messageKeySym, msgPrefixSym, needsMetadataGsym } =
  pino.symbols as unknown as Record<string, symbol>;

/**
 * Writes the access line `log[level](fields, 'request completed')` would write, built as one
 * template string and handed to the logger's own destination, instead of pino's general path
 * (merging the object, stringifying each nested object, walking it for serializers): these lines
 * always have the same shape. Measured: a cached product answered straight from Node's http server
 * cost 5-10 µs more per request with a pino access line than without one; behind Fastify and the
 * other hooks, this template's gain was within the machine's noise. Falls back to pino itself (undefined) when the logger has what a template would
 * skip: a mixin, hooks, another message key or time function, a message prefix, or a destination
 * that needs pino's metadata (multistream).
 */
export function accessLineWriter(log: Logger): AccessLineWriter | undefined {
  const raw = log as unknown as Record<symbol, unknown>;
  const stream = raw[streamSym] as Stream | undefined;
  const hooks = raw[hooksSym] as { logMethod?: unknown; streamWrite?: unknown } | undefined;
  if (
    stream === undefined ||
    stream[needsMetadataGsym] === true ||
    raw[mixinSym] !== undefined ||
    hooks?.logMethod !== undefined ||
    hooks?.streamWrite !== undefined ||
    raw[messageKeySym] !== 'msg' ||
    raw[msgPrefixSym] !== undefined ||
    raw[timeSym] !== pino.stdTimeFunctions.epochTime
  )
    return undefined;
  const bindings = raw[chindingsSym] as string;
  const levels = log.levels.values;
  const out = batchOf(stream);
  return (level, f) => {
    const address = f.remoteAddress === undefined ? '' : `,"remoteAddress":${JSON.stringify(f.remoteAddress)}`;
    out.write(
      `{"level":${levels[level]},"time":${Date.now()}${bindings},"requestId":${JSON.stringify(f.requestId)},"req":{"method":${JSON.stringify(f.method)},"url":${JSON.stringify(f.url)}${address}},"res":{"statusCode":${f.statusCode}},"responseTime":${f.responseTime},"msg":"request completed"}\n`,
    );
  };
}

/** A stream that buffers its writes itself (StdoutBatches, minLength: LOG_BUFFER_BYTES). */
type BufferedStream = Stream & { minLength?: number; destroyed?: boolean; flushSync?: () => void };

/** Where a line goes: the stream, or its batch when the stream buffers anyway. */
interface LineSink {
  write(line: string): void;
}

const batches = new WeakMap<Stream, LineSink>();

/**
 * For a destination that buffers (a minLength, as StdoutBatches has), the access lines of one
 * event-loop turn are joined and handed to it in one write: one string and one Buffer per turn
 * instead of one per line (with sonic-boom, which measured its whole pending buffer on each write,
 * a line per write cost about a sixth of a cached GET). Nothing is held longer than the turn (or
 * 8 KB), and lines still pending at exit are written and flushed before the destination's own exit flush.
 * Other destinations get each line at once (tests read them right after the request).
 */
function batchOf(stream: BufferedStream): LineSink {
  if (!(typeof stream.minLength === 'number' && stream.minLength > 0)) return stream;
  let sink = batches.get(stream);
  if (sink === undefined) {
    sink = new LineBatch(stream);
    batches.set(stream, sink);
  }
  return sink;
}

class LineBatch implements LineSink {
  private lines: string[] = [];
  private chars = 0;
  private scheduled = false;

  constructor(private readonly stream: BufferedStream) {
    process.prependListener('exit', () => {
      this.flush();
      this.stream.flushSync?.();
    });
  }

  write(line: string): void {
    this.lines.push(line);
    this.chars += line.length;
    if (this.chars >= BATCH_CHARS) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    if (this.lines.length === 0 || this.stream.destroyed === true) return;
    const text = this.lines.join('');
    this.lines = [];
    this.chars = 0;
    this.stream.write(text);
  };
}

/** A batch is handed over once this long, without waiting for the end of the turn. */
const BATCH_CHARS = 8_192;
