import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { createServer, type Server } from 'node:http';
import { REDIS_CLIENT, withTimeout, type RedisClient } from '@app/cache';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { DatabaseProbeRepository } from '@app/database';
import { WorkerMetrics } from '../metrics/worker-metrics.service.js';

const CHECK_TIMEOUT_MS = 2_000;

/**
 * The worker's own small HTTP port (WORKER_PORT) for orchestrators and Prometheus:
 * `GET /health/live` (the process runs), `GET /health` (Postgres primary and Redis answer: 200,
 * else 503 with which one is down) and `GET /metrics`.
 */
@Injectable()
export class WorkerHttpServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerHttpServer.name);
  private server: Server | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: WorkerMetrics,
    private readonly database: DatabaseProbeRepository,
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
  ) {}

  /** The port it listens on (undefined when WORKER_PORT=0). */
  get port(): number | undefined {
    const address = this.server?.address();
    return typeof address === 'object' && address ? address.port : undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.worker.port === 0) return;
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const send = (status: number, type: string, body: string): void => {
        res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
      };
      if (req.method !== 'GET') return send(405, 'application/json', JSON.stringify({ statusCode: 405, error: 'Method Not Allowed' }));
      if (path === '/health/live') return send(200, 'application/json', JSON.stringify({ status: 'ok' }));
      if (path === '/health') {
        void this.health().then((h) => send(h.status === 'ok' ? 200 : 503, 'application/json', JSON.stringify(h)));
        return;
      }
      if (path === '/metrics') {
        void this.metrics.registry.metrics().then(
          (text) => send(200, this.metrics.registry.contentType, text),
          () => send(500, 'text/plain', 'metrics unavailable'),
        );
        return;
      }
      send(404, 'application/json', JSON.stringify({ statusCode: 404, error: 'Not Found' }));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.worker.port, this.config.worker.host, () => resolve());
    });
    this.server = server;
    this.logger.log(`worker health and metrics on http://${this.config.worker.host}:${this.port}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections();
  }

  private async health(): Promise<{ status: 'ok' | 'error'; postgres: 'up' | 'down'; redis: 'up' | 'down' }> {
    const [postgres, redis] = await Promise.all([
      withTimeout(this.database.ping(), CHECK_TIMEOUT_MS).then(
        () => 'up' as const,
        () => 'down' as const,
      ),
      withTimeout(this.redis.ping(), CHECK_TIMEOUT_MS).then(
        (r) => (r === 'PONG' ? ('up' as const) : ('down' as const)),
        () => 'down' as const,
      ),
    ]);
    return { status: postgres === 'up' && redis === 'up' ? 'ok' : 'error', postgres, redis };
  }
}
