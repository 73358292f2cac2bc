import { Logger } from '@nestjs/common';
import type pino from 'pino';
import { PinoLoggerService } from './pino-logger.service.js';
import { capturedLogger } from './testing/captured-logger.js';

function capture(level: pino.LevelWithSilent = 'info'): { lines: Record<string, unknown>[]; service: PinoLoggerService } {
  const { logger, lines } = capturedLogger(level);
  return { lines, service: new PinoLoggerService(logger) };
}

describe('PinoLoggerService', () => {
  afterEach(() => Logger.overrideLogger(false));

  it('writes Nest logger calls as JSON lines with their context', () => {
    const { lines, service } = capture();
    Logger.overrideLogger(service);
    new Logger('Catalog').log('seeded');
    new Logger('Cache').warn('cache unavailable');
    expect(lines).toEqual([
      expect.objectContaining({ level: 30, context: 'Catalog', msg: 'seeded' }),
      expect.objectContaining({ level: 40, context: 'Cache', msg: 'cache unavailable' }),
    ]);
  });

  it('merges an object message (requestId, err) and takes the next string as the message', () => {
    const { lines, service } = capture();
    Logger.overrideLogger(service);
    new Logger('HTTP').error({ err: new Error('boom'), requestId: 'r-1' }, 'unhandled error');
    expect(lines[0]).toMatchObject({
      level: 50,
      context: 'HTTP',
      requestId: 'r-1',
      msg: 'unhandled error',
      err: { type: 'Error', message: 'boom' },
    });
    expect(String((lines[0].err as { stack: string }).stack)).toMatch(/boom\n\s+at /);
  });

  it('accepts msg inside the object', () => {
    const { lines, service } = capture();
    Logger.overrideLogger(service);
    new Logger('GuestCartHook').warn({ requestId: 'r-2', msg: 'guest cart not merged' });
    expect(lines[0]).toMatchObject({ level: 40, context: 'GuestCartHook', requestId: 'r-2', msg: 'guest cart not merged' });
  });

  it("keeps the stack of Nest's error(message, stack, context) calls", () => {
    const { lines, service } = capture();
    service.error('Nest failed', 'Error: Nest failed\n    at bootstrap (main.ts:1:1)', 'ExceptionHandler');
    expect(lines[0]).toMatchObject({
      level: 50,
      context: 'ExceptionHandler',
      msg: 'Nest failed',
      err: { stack: expect.stringMatching(/at bootstrap/) },
    });
  });

  it("reads a lone stack after the message as the stack, not the context (Nest's static Logger.error(reason, stack))", () => {
    const { lines, service } = capture();
    Logger.overrideLogger(service);
    Logger.error('shutdown hook failed', 'Error: shutdown hook failed\n    at hook (app.ts:1:1)');
    Logger.error('plain failure', undefined);
    expect(lines[0]).toMatchObject({ msg: 'shutdown hook failed', err: { stack: expect.stringMatching(/at hook/) } });
    expect(lines[0]).not.toHaveProperty('context');
    expect(lines[1]).toMatchObject({ level: 50, msg: 'plain failure' });
    expect(lines[1]).not.toHaveProperty('context');
  });

  it('merges object parameters after the message into the line', () => {
    const { lines, service } = capture();
    service.warn('slow', { ms: 1200 }, 'Database');
    expect(lines[0]).toMatchObject({ level: 40, msg: 'slow', ms: 1200, context: 'Database' });
  });

  it('drops lines below the level without formatting them', () => {
    const { lines, service } = capture('warn');
    service.log('not shown', 'Ctx');
    service.debug('not shown', 'Ctx');
    service.warn('shown', 'Ctx');
    expect(lines.map((l) => l.msg)).toEqual(['shown']);
  });
});
