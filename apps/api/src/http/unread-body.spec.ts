import http, { type IncomingMessage, type Server } from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { postHead, sendRaw } from '../../../../test/support/raw-http.js';
import { skipUnreadBody } from './unread-body.js';

const send = (port: number, path: string, body: Buffer) => sendRaw(port, postHead(path, 'application/octet-stream', body.length), body);

describe('skipUnreadBody', () => {
  let server: Server;
  let port: number;
  /** Body bytes each /refuse request still delivered to its request stream. */
  const delivered: number[] = [];

  beforeAll(async () => {
    server = http.createServer((req: IncomingMessage, res) => {
      if (req.url === '/refuse') {
        expect(skipUnreadBody(req)).toBe(true);
        let bytes = 0;
        req.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.writeHead(413, { connection: 'close', 'content-length': '7' });
        res.end('refused', () => setTimeout(() => delivered.push(bytes), 50));
        return;
      }
      // /echo: the body's length, read whole.
      let bytes = 0;
      req.on('data', (chunk: Buffer) => (bytes += chunk.length));
      req.on('end', () => res.end(String(bytes)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('stops a refused body from reaching the request stream; the answer still arrives', async () => {
    const answer = await send(port, '/refuse', Buffer.alloc(1024 * 1024, 0x61));
    expect([answer.status, answer.text]).toEqual([413, 'refused']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(delivered).toEqual([0]);
  });

  it('gives the parser its body callback back: the next connections (which reuse it) read their bodies whole', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await send(port, '/refuse', Buffer.alloc(256 * 1024, 0x62))).status).toBe(413);
      // Node pools its parsers and hands the last one freed to the next connection.
      for (const size of [10, 300 * 1024]) {
        const answer = await send(port, '/echo', Buffer.alloc(size, 0x63));
        expect([answer.status, answer.text]).toEqual([200, String(size)]);
      }
    }
  });

  it('leaves a request without a parser alone (a socket that is gone, an injected request)', () => {
    const req = new http.IncomingMessage(new net.Socket());
    expect(skipUnreadBody(req)).toBe(false);
  });
});
