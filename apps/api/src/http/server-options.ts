import type { AppConfig } from '@app/common';

export interface HttpServerOptions {
  bodyLimit: number;
  requestTimeout: number;
  connectionTimeout: number;
  keepAliveTimeout: number;
  http: { requestTimeout: number; headersTimeout: number; connectionsCheckingInterval: number };
}

/**
 * Fastify's server limits from config.
 *
 * - bodyLimit: the default largest body; bigger routes opt in with @BodyLimit().
 * - requestTimeout / headersTimeout: the whole request, and its headers, must have arrived in
 *   time (Node answers 408 and closes the socket). Fastify turns Node's request timeout off by
 *   default, so a client trickling its body a byte every few seconds would hold a connection and
 *   a parser forever; an idle timeout alone cannot stop it, as each byte resets the idle timer.
 *   The clock stops once the request is in: a slow handler is not cut short by it.
 * - connectionsCheckingInterval: how often Node looks for requests past those timeouts (30 s by
 *   default, which would let a request overrun its timeout by as much again).
 * - connectionTimeout: a socket without traffic either way for this long is closed (a vanished
 *   client, a client that stops reading its response).
 * - keepAliveTimeout: how long an idle keep-alive connection is kept. It must be LONGER than the
 *   idle timeout of the load balancer in front (AWS ALB: 60 s by default): the balancer then
 *   always closes an idle connection first. The other way round, the balancer may send a request
 *   on a connection at the moment the API closes it, and the client gets a 502. The default 65 s
 *   is above the ALB's 60 s; behind another proxy, set it above that proxy's idle timeout.
 */
export function httpServerOptions(config: AppConfig): HttpServerOptions {
  const { bodyLimitBytes, requestTimeoutMs, headersTimeoutMs, connectionTimeoutMs, keepAliveTimeoutMs } = config.http;
  return {
    bodyLimit: bodyLimitBytes,
    requestTimeout: requestTimeoutMs,
    connectionTimeout: connectionTimeoutMs,
    keepAliveTimeout: keepAliveTimeoutMs,
    http: {
      requestTimeout: requestTimeoutMs,
      headersTimeout: headersTimeoutMs,
      connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(headersTimeoutMs / 4))),
    },
  };
}
