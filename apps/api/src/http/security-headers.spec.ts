import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import helmet from 'helmet';
import { CONTENT_SECURITY_POLICY, registerSecurityHeaders, securityHeaders } from './security-headers.js';

const OPTIONS = {
  contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
  strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
  xFrameOptions: { action: 'deny' as const },
};

/** The headers helmet's middleware puts on a real response, per request. */
async function helmetPerRequest(): Promise<Record<string, string>> {
  const middleware = helmet(OPTIONS);
  const server: Server = createServer((req, res) => middleware(req, res, () => res.end('ok')));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const standard = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);
    return Object.fromEntries([...res.headers].filter(([name]) => !standard.has(name)));
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('security headers', () => {
  it('are exactly what helmet sets per request with the same options', async () => {
    const once = securityHeaders(OPTIONS);
    expect(once).toEqual(await helmetPerRequest());
    expect(once).toMatchObject({
      'x-content-type-options': 'nosniff',
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    });
    expect(once['content-security-policy']).toMatch(/^default-src 'self';script-src 'self';/);
  });

  it('go on every answer, 404s and thrown errors included', async () => {
    const app = Fastify();
    registerSecurityHeaders(app);
    app.get('/ok', () => ({ ok: true }));
    app.get('/boom', () => {
      throw new Error('boom');
    });
    const expected = securityHeaders();
    for (const url of ['/ok', '/missing', '/boom']) {
      const res = await app.inject({ url });
      for (const [name, value] of Object.entries(expected)) expect([url, name, res.headers[name]]).toEqual([url, name, value]);
    }
    await app.close();
  });
});
