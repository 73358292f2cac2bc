import type { ConnectionOptions } from 'bullmq';
import { Cluster } from 'ioredis';
import type { AppConfig } from '@app/common';

/**
 * BullMQ's Redis connection from the validated config (BullMQ opens its own connections: blocking
 * reads cannot share the cache's client). `maxRetriesPerRequest: null` is what BullMQ workers need.
 */
export function bullConnection(config: AppConfig, connectionName: string): ConnectionOptions {
  const { redis } = config;
  const common = { maxRetriesPerRequest: null, connectionName: `${connectionName}-jobs`, retryStrategy: reconnectDelay };
  if (redis.mode === 'cluster') {
    return new Cluster(
      redis.clusterNodes.map((n) => ({ host: n.host, port: n.port })),
      { redisOptions: { ...common, password: redis.password ?? undefined }, clusterRetryStrategy: reconnectDelay },
    );
  }
  if (redis.mode === 'sentinel') {
    return {
      ...common,
      sentinels: redis.sentinels.map((n) => ({ host: n.host, port: n.port })),
      name: redis.sentinelName,
      password: redis.password ?? undefined,
    };
  }
  const url = new URL(redis.url!);
  return {
    ...common,
    host: url.hostname,
    port: Number(url.port || 6379),
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: Number(url.pathname.slice(1) || 0),
    tls: url.protocol === 'rediss:' ? {} : undefined,
  };
}

/**
 * Reconnect attempts every 200 ms, growing to 2 s. BullMQ's default grows to 20 s (e^attempt ms), so
 * after an outage of half a minute its connections came back up to 20 s after Redis did: jobs
 * resumed late, and a shutdown then waited for that reconnect (a worker's blocking read stays queued
 * on its connection until it is back).
 */
function reconnectDelay(attempt: number): number {
  return Math.min(attempt * 200, 2_000);
}

/** Queue keys live under the app's key prefix; the braces keep each queue's keys in one cluster slot. */
export function bullPrefix(config: AppConfig): string {
  return `{${config.redis.keyPrefix}:bull}`;
}
