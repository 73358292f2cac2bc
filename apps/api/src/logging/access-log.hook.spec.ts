import { connect } from 'node:net';
import Fastify from 'fastify';
import type pino from 'pino';
import { capturedLogger } from '@app/common/logging/testing/captured-logger.js';
import { registerAccessLog } from './access-log.hook.js';

/** Resolvers of callers waiting for the next request to reach /slow. */
const slowArrivals: (() => void)[] = [];

async function appWith(level: pino.LevelWithSilent): Promise<{ app: ReturnType<typeof Fastify>; lines: Record<string, unknown>[] }> {
  const { logger, lines } = capturedLogger(level);
  const app = Fastify({ genReqId: (req) => String(req.headers['x-request-id'] ?? 'generated') });
  registerAccessLog(app, logger);
  app.get('/ok', () => ({ ok: true }));
  app.get('/health/live', () => ({ status: 'ok' }));
  app.get('/slow', () => {
    for (const arrived of slowArrivals.splice(0)) arrived();
    return new Promise((resolve) => setTimeout(() => resolve({ late: true }), 300));
  });
  app.get('/boom', () => {
    throw new Error('boom');
  });
  await app.ready();
  return { app, lines };
}

describe('access log', () => {
  it('writes one line per response with requestId, method, url, status and time; no headers', async () => {
    const { app, lines } = await appWith('info');
    await app.inject({ url: '/ok', headers: { 'x-request-id': 'req-1', authorization: 'Bearer secret' } });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      context: 'HTTP',
      requestId: 'req-1',
      req: { method: 'GET', url: '/ok' },
      res: { statusCode: 200 },
      msg: 'request completed',
    });
    expect(typeof lines[0].responseTime).toBe('number');
    expect(JSON.stringify(lines[0])).not.toMatch(/secret/);
    await app.close();
  });

  it('logs 4xx at warn and 5xx at error, so LOG_LEVEL=warn keeps only failures', async () => {
    const { app, lines } = await appWith('warn');
    await app.inject({ url: '/ok' });
    await app.inject({ url: '/missing', headers: { 'x-request-id': 'req-404' } });
    await app.inject({ url: '/boom', headers: { 'x-request-id': 'req-500' } });
    expect(lines.map((l) => [l.level, l.requestId, (l.res as { statusCode: number }).statusCode])).toEqual([
      [40, 'req-404', 404],
      [50, 'req-500', 500],
    ]);
    await app.close();
  });

  it('skips successful probe calls', async () => {
    const { app, lines } = await appWith('info');
    await app.inject({ url: '/health/live' });
    expect(lines).toHaveLength(0);
    await app.close();
  });

  it('writes a warn line when the client gives up before the response', async () => {
    const { app, lines } = await appWith('warn');
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const arrived = new Promise<void>((r) => slowArrivals.push(r));
    // A raw socket: the client is gone the moment it is destroyed.
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write('GET /slow HTTP/1.1\r\nHost: localhost\r\nX-Request-ID: req-gone\r\n\r\n');
    await arrived; // the handler runs: the client gives up while the server works on it
    socket.destroy();
    const deadline = Date.now() + 5_000;
    while (!lines.some((l) => l.msg === 'request aborted') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 40, requestId: 'req-gone', msg: 'request aborted', req: expect.objectContaining({ url: '/slow' }) }),
    );
    await app.close();
  });
});
