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
    let rest = params;
    if (params.length && (typeof params[params.length - 1] === 'string' || params[params.length - 1] === undefined)) {
      const context = params[params.length - 1];
      if (context !== undefined) fields.context = context;
      rest = params.slice(0, -1);
    }
    if (message instanceof Error) {
      fields.err = message;
      this.logger[level](fields, message.message);
    } else if (typeof message === 'object' && message !== null) {
      const { msg, ...others } = message as Record<string, unknown>;
      Object.assign(fields, others);
      this.logger[level](fields, typeof msg === 'string' ? msg : typeof rest[0] === 'string' ? rest[0] : '');
    } else if (level === 'error' && typeof rest[0] === 'string' && /\n\s*at /.test(rest[0])) {
      // error(message, stack): keep the stack in the line, as `err`.
      fields.err = { type: 'Error', message: String(message), stack: rest[0] };
      this.logger[level](fields, String(message));
    } else {
      this.logger[level](fields, String(message));
    }
  }
}
