import { Controller, Get, Logger, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Public } from '@app/common';
import { createTestApp } from '../support/test-app.js';

/** Logs from inside a handler, after an await, without passing the request id. */
@Public()
@Controller('probe-context')
class ProbeController {
  private readonly logger = new Logger('Probe');

  @Get()
  async handle(): Promise<{ ok: boolean }> {
    await sleep(5);
    this.logger.log('inside the handler');
    return { ok: true };
  }
}

@Module({ controllers: [ProbeController] })
class ProbeModule {}

async function appLogging(mode: string): Promise<{ app: NestFastifyApplication; lines: () => Record<string, unknown>[] }> {
  let output = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      output += chunk.toString();
      done();
    },
  });
  const app = await createTestApp({ LOG_LEVEL: 'info', LOG_REQUEST_CONTEXT: mode }, { imports: [ProbeModule], logDestination: sink });
  const lines = () =>
    output
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { app, lines };
}

// nestjs-pino keeps its root logger in a static field (one per process): each mode builds one app.
describe.each(['explicit', 'nestjs-pino'])('request logging (LOG_REQUEST_CONTEXT=%s)', (mode) => {
  let app: NestFastifyApplication;
  let lines: () => Record<string, unknown>[];
  beforeAll(async () => ({ app, lines } = await appLogging(mode)));
  afterAll(async () => app.close());
  const sinceStart = () => lines().slice(lines().findIndex((l) => l.msg === 'Nest application successfully started') + 1);

  it('one access line per response: requestId from X-Request-ID, method, url, status, time; no headers; 4xx at warn', async () => {
    const ok = await app.inject({
      url: '/api/v1/probe-context',
      headers: { 'x-request-id': `ok-${mode}`, authorization: 'Bearer s3cret' },
    });
    const missing = await app.inject({ url: '/api/v1/no-such-route', headers: { 'x-request-id': `missing-${mode}` } });
    await app.inject({ url: '/health/live' });
    expect([ok.statusCode, missing.statusCode]).toEqual([200, 404]);
    expect(ok.headers['x-request-id']).toBe(`ok-${mode}`);

    const access = sinceStart().filter((l) => l.msg === 'request completed');
    expect(access).toEqual([
      expect.objectContaining({
        level: 30,
        context: 'HTTP',
        requestId: `ok-${mode}`,
        req: { method: 'GET', url: '/api/v1/probe-context', remoteAddress: '127.0.0.1' },
        res: { statusCode: 200 },
        responseTime: expect.any(Number),
      }),
      expect.objectContaining({ level: 40, requestId: `missing-${mode}`, res: { statusCode: 404 } }),
    ]);
    // Successful probe calls are not logged; headers (and so tokens) never are.
    expect(JSON.stringify(sinceStart())).not.toMatch(/s3cret|health\/live|authorization/i);
  });

  it(
    mode === 'nestjs-pino'
      ? 'a line logged inside a handler carries its requestId without the code passing it, also under concurrency'
      : 'a line logged inside a handler has no requestId (the code passes it where it matters)',
    async () => {
      const ids = ['a', 'b', 'c'].map((id) => `ctx-${mode}-${id}`);
      await Promise.all(ids.map((id) => app.inject({ url: '/api/v1/probe-context', headers: { 'x-request-id': id } })));
      const inside = sinceStart()
        .filter((l) => l.msg === 'inside the handler')
        .slice(1); // the first is the previous case's request
      expect(inside).toHaveLength(3);
      expect(inside[0]).toMatchObject({ context: 'Probe', level: 30 });
      if (mode === 'nestjs-pino') expect(inside.map((l) => l.requestId).sort()).toEqual(ids);
      else expect(inside.map((l) => l.requestId)).toEqual([undefined, undefined, undefined]);
    },
  );
});
