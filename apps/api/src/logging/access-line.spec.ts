import { Writable } from 'node:stream';
import pino from 'pino';
import { accessLineWriter, type AccessFields } from './access-line.js';

/** A logger like the access log's (a child of a redacting root) writing raw lines into `out`. */
function logger(options: pino.LoggerOptions = {}): { log: pino.Logger; out: string[] } {
  const out: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      out.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const root = pino({ level: 'info', redact: { paths: ['password'], censor: '[redacted]' }, ...options }, sink);
  return { log: root.child({ context: 'HTTP' }, { redact: { paths: [] } }), out };
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
const withoutTime = (line: string): string => line.replace(/"time":\d+/, '"time":0');

describe('accessLineWriter', () => {
  const cases: [pino.Level, AccessFields][] = [
    [
      'info',
      { requestId: 'r-1', method: 'GET', url: '/api/v1/products/1', remoteAddress: '127.0.0.1', statusCode: 200, responseTime: 0.4 },
    ],
    [
      'warn',
      { requestId: 'r-2', method: 'POST', url: '/a?q="quoted"&x=\\back\u0001é🧪', remoteAddress: '::1', statusCode: 404, responseTime: 12 },
    ],
    ['error', { requestId: 'r-3', method: 'DELETE', url: '/b', remoteAddress: undefined, statusCode: 503, responseTime: 1.5 }],
  ];

  it.each(cases)('writes at %s exactly the line pino writes for the same fields', async (level, f) => {
    const { log, out } = logger();
    const write = accessLineWriter(log);
    expect(write).toBeDefined();
    write!(level, f);
    log[level](
      {
        requestId: f.requestId,
        req: { method: f.method, url: f.url, remoteAddress: f.remoteAddress },
        res: { statusCode: f.statusCode },
        responseTime: f.responseTime,
      },
      'request completed',
    );
    await flush();
    expect(out).toHaveLength(2);
    expect(withoutTime(out[0])).toBe(withoutTime(out[1]));
    expect(JSON.parse(out[0])).toMatchObject({ context: 'HTTP', requestId: f.requestId, msg: 'request completed' });
  });

  it('leaves loggers it would not reproduce to pino: a mixin, another message key or time', () => {
    expect(accessLineWriter(logger({ mixin: () => ({ extra: 1 }) }).log)).toBeUndefined();
    expect(accessLineWriter(logger({ messageKey: 'message' }).log)).toBeUndefined();
    expect(accessLineWriter(logger({ timestamp: pino.stdTimeFunctions.isoTime }).log)).toBeUndefined();
  });
});

describe('accessLineWriter on a buffering destination', () => {
  /** A stream that says it buffers (minLength, as pino.destination with LOG_BUFFER_BYTES), recording each write. */
  function buffering(): { log: pino.Logger; writes: string[] } {
    const writes: string[] = [];
    const stream = { minLength: 8_192, write: (text: string) => writes.push(text) };
    return { log: pino({ level: 'info' }, stream as unknown as pino.DestinationStream).child({ context: 'HTTP' }), writes };
  }
  const fields = (i: number): AccessFields => ({
    requestId: `r-${i}`,
    method: 'GET',
    url: `/x/${i}`,
    remoteAddress: '127.0.0.1',
    statusCode: 200,
    responseTime: 1,
  });

  it('hands the lines of one turn to the destination in one write, in order, by the end of the turn', async () => {
    const { log, writes } = buffering();
    const write = accessLineWriter(log)!;
    for (let i = 0; i < 5; i++) write('info', fields(i));
    expect(writes).toHaveLength(0); // held for the turn
    await flush();
    expect(writes).toHaveLength(1);
    expect(
      writes[0]
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { requestId: string }).requestId),
    ).toEqual(['r-0', 'r-1', 'r-2', 'r-3', 'r-4']);
  });

  it('hands a batch over at once when it reaches 8 KB', () => {
    const { log, writes } = buffering();
    const write = accessLineWriter(log)!;
    let i = 0;
    while (writes.length === 0 && i < 1_000) write('info', fields(i++));
    expect(writes).toHaveLength(1);
    expect(writes[0].length).toBeGreaterThanOrEqual(8_192);
    expect(writes[0].split('\n').filter(Boolean)).toHaveLength(i);
  });
});
