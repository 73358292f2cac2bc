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
