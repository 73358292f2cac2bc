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
  return (level, f) => {
    const address = f.remoteAddress === undefined ? '' : `,"remoteAddress":${JSON.stringify(f.remoteAddress)}`;
    stream.write(
      `{"level":${levels[level]},"time":${Date.now()}${bindings},"requestId":${JSON.stringify(f.requestId)},"req":{"method":${JSON.stringify(f.method)},"url":${JSON.stringify(f.url)}${address}},"res":{"statusCode":${f.statusCode}},"responseTime":${f.responseTime},"msg":"request completed"}\n`,
    );
  };
}
