import pino from 'pino';
import { Writable } from 'node:stream';

/** A pino logger whose JSON lines land, parsed and in order, in `lines` (tests only). */
export function capturedLogger(level: pino.LevelWithSilent = 'info'): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level }, sink), lines };
}
