import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';

/** What Fastify's `trustProxy` option accepts (app config's TRUST_PROXY). */
export type TrustProxy = boolean | number | string | readonly string[];

/**
 * The client address Fastify gives as `request.ip` under `trustProxy`, for code that reads a raw
 * Node request (the front door): the same library and the same reading of the option as Fastify's
 * request.js, so a client is the same tracker (rate limits) and the same access-log address on
 * either path. A hop count trusts no peer (Fastify fails closed on it too).
 */
export function clientAddressOf(trustProxy: TrustProxy): (req: IncomingMessage) => string | undefined {
  if (!trustProxy) return (req) => req.socket.remoteAddress;
  const trust: (addr: string, i: number) => boolean =
    trustProxy === true
      ? () => true
      : typeof trustProxy === 'number'
        ? () => false
        : proxyAddr.compile(typeof trustProxy === 'string' ? trustProxy.split(',').map((v) => v.trim()) : [...trustProxy]);
  return (req) => {
    const all = proxyAddr.all(req, trust);
    return all[all.length - 1];
  };
}
