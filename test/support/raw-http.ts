import net from 'node:net';

/** An answer read off a raw connection: its status, headers (lower-case names) and body text. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/**
 * Sends one HTTP/1.1 request on a new connection, writing the head and then the body as a client
 * uploading it would, and resolves with the answer (Content-Length framing). For requests the server
 * refuses before their body: a server that cuts the connection while the body is still being
 * written has answered first, and that answer is what counts.
 */
export function sendRaw(port: number, head: string, body: Buffer | string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end === -1) return;
      const lines = received.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers['content-length'] ?? 0);
      if (received.length < end + 4 + length) return;
      socket.destroy();
      resolve({ status: Number(lines[0].slice(9, 12)), headers, text: received.subarray(end + 4, end + 4 + length).toString() });
    });
    socket.on('error', () => undefined);
    socket.on('close', () => reject(new Error('the connection closed before an answer')));
    socket.write(head);
    socket.write(body);
  });
}

/** The head of a POST with a Content-Length. */
export function postHead(path: string, contentType: string, length: number, headers: Record<string, string> = {}): string {
  const extra = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return `POST ${path} HTTP/1.1\r\nhost: localhost\r\ncontent-type: ${contentType}\r\ncontent-length: ${length}\r\n${extra}\r\n`;
}
