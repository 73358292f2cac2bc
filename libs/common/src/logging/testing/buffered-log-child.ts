// Child process of root-logger.spec: logs through the buffered stdout destination, then exits.
// argv: line count, batch bytes, and `slow-reader`: long lines, then "logged" on stderr before
// waiting for stdout to take them all.
import { createRootLogger } from '../root-logger.js';

const count = Number(process.argv[2] ?? 500);
const logger = createRootLogger({ level: 'info', bufferBytes: Number(process.argv[3] ?? 256) });
const slowReader = process.argv[4] === 'slow-reader';
const padding = slowReader ? 'x'.repeat(1_000) : '';
for (let i = 0; i < count; i++) logger.info({ i, text: `línea ${i} ✓ 😀${padding}` }, 'line');
if (slowReader) {
  // The reader takes nothing until it sees this: logging must not have waited for it.
  process.stderr.write('logged\n');
  logger.info({ i: count, text: 'last' }, 'line');
  logger.flush(() => process.exit(0));
} else {
  // Logged just before exit, in the same turn: the pending batch is written at exit, after the others.
  logger.info({ i: count, text: 'last' }, 'line');
  process.exit(0);
}
