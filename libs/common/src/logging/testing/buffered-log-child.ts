// Child process of root-logger.spec: logs through the buffered stdout destination, then exits.
import { createRootLogger } from '../root-logger.js';

const count = Number(process.argv[2] ?? 500);
const logger = createRootLogger({ level: 'info', bufferBytes: Number(process.argv[3] ?? 256) });
for (let i = 0; i < count; i++) logger.info({ i, text: `línea ${i} ✓ 😀` }, 'line');
// Logged just before exit, in the same turn: the pending batch is written at exit, after the others.
logger.info({ i: count, text: 'last' }, 'line');
process.exit(0);
