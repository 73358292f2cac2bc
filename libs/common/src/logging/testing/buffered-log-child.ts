// Child process of root-logger.spec: logs through the buffered stdout destination, then exits.
import { createRootLogger } from '../root-logger.js';

const logger = createRootLogger({ level: 'info', bufferBytes: 256 });
const count = Number(process.argv[2] ?? 500);
for (let i = 0; i < count; i++) logger.info({ i, text: `línea ${i} ✓ 😀` }, 'line');
// The last line waits for the others to be written: at exit sonic-boom writes what is pending
// synchronously, which overtakes an asynchronous write still in the thread pool (seen on a loaded
// machine), so order is only kept for what was not in flight.
setTimeout(() => {
  logger.flush(() => {
    logger.info({ i: count, text: 'last' }, 'line');
    process.exit(0);
  });
}, 20);
