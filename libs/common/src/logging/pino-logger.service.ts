import type { LoggerService } from '@nestjs/common';
import type { Level, Logger } from 'pino';

/**
 * Nest's LoggerService over pino: `new Logger('Ctx').warn(...)` anywhere in the app becomes one
 * JSON line with `context`. Nest's conventions: the context is the last optional parameter, an
 * object message is merged into the line, an Error becomes `err`, and Nest's own exception
 * handlers call `error(message, stack, context)`.
 *
 * Lines about an HTTP request carry `requestId` because the caller puts it in the object
 * (the access log, the exception filter, sign-in hooks). There is deliberately no async context
 * (AsyncLocalStorage): on Node 20 it puts a hook on every promise, which cost more CPU per cached
 * GET than the whole catalog read.
 */
export class PinoLoggerService implements LoggerService {
  constructor(private readonly logger: Logger) {}

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = {};
    const failure = level === 'error' || level === 'fatal';
    let rest = params;
    let stack: string | undefined;
    if (failure && params.length === 1 && isStackOrNothing(params[0])) {
      // Static Logger.error(message, stack) with no context (e.g. Nest's lifecycle hooks).
      stack = params[0] as string | undefined;
      rest = [];
    } else if (params.length) {
      const last = params[params.length - 1];
      if (typeof last === 'string' || last === undefined) {
        if (last !== undefined) fields.context = last;
        rest = params.slice(0, -1);
      }
      if (failure && rest.length && isStackOrNothing(rest[0])) {
        stack = rest[0] as string | undefined;
        rest = rest.slice(1);
      }
    }
    let text: string | undefined;
    if (message instanceof Error) {
      fields.err = message;
      text = message.message;
    } else if (typeof message === 'object' && message !== null) {
      const { msg, ...others } = message as Record<string, unknown>;
      Object.assign(fields, others);
      if (typeof msg === 'string') text = msg;
    } else {
      text = String(message);
    }
    // Further parameters: objects are merged into the line, an Error becomes `err`, a string is the
    // message when there is none yet.
    for (const p of rest) {
      if (p instanceof Error) fields.err ??= p;
      else if (typeof p === 'object' && p !== null) Object.assign(fields, p);
      else if (typeof p === 'string' && text === undefined) text = p;
    }
    if (stack !== undefined && fields.err === undefined) fields.err = { type: 'Error', message: text ?? '', stack };
    this.logger[level](fields, text ?? '');
  }
}

function isStackOrNothing(value: unknown): boolean {
  return value === undefined || (typeof value === 'string' && /\n\s*at /.test(value));
}
