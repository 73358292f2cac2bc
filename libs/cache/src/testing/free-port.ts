import { createServer } from 'node:net';

/** Resolves true when nothing listens on `port` (we could bind it ourselves). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port the OS just handed out (listen 0). Another process may still grab it before we do: callers retry. */
export function ephemeralPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A port P where both P and P + 10000 are free: a cluster node also binds its bus port at P + 10000,
 * so ephemeral ports (up to ~61000) would overflow. Random picks keep parallel jest workers apart.
 */
export async function clusterPort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    if ((await isPortFree(port, host)) && (await isPortFree(port + 10_000, host))) return port;
  }
  throw new Error('No free port pair (P, P+10000) found for a cluster node');
}
