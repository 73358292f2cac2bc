import { Controller, Get, Req, Res, type OnModuleDestroy } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger';
import type { HealthIndicatorResult } from '@nestjs/terminus';
import { Public } from '@app/common';
import { DatabaseHealth } from './database.health.js';
import { RedisHealth } from './redis.health.js';

type Details = Record<string, HealthIndicatorResult[string]>;

/** `ok` when every dependency is up, `degraded` when one is down but this instance still serves. */
interface ReadyBody {
  status: 'ok' | 'degraded';
  info: Details;
  error: Details;
  details: Details;
}

interface NotReadyBody {
  statusCode: 503;
  error: string;
  message: string[];
  requestId: string;
  status: 'error';
  details: Details;
}

const EXAMPLE_DETAILS = {
  postgresPrimary: { status: 'up' },
  postgresReplica: { status: 'up', responseTime: 2, lagSeconds: 0 },
  redis: { status: 'down', message: 'timeout' },
};

/** `postgresPrimary`, `postgresReplica`, `redis` → `{ status: up | down, ...figures }`. */
const DEPENDENCIES_SCHEMA: SchemaObject = {
  type: 'object',
  additionalProperties: {
    type: 'object',
    properties: { status: { type: 'string', enum: ['up', 'down'] } },
    required: ['status'],
    additionalProperties: true,
  },
};

const READY_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ok', 'degraded'] },
    info: { ...DEPENDENCIES_SCHEMA, description: 'The dependencies that are up' },
    error: { ...DEPENDENCIES_SCHEMA, description: 'The dependencies that are down' },
    details: { ...DEPENDENCIES_SCHEMA, description: 'Every dependency' },
  },
  required: ['status', 'info', 'error', 'details'],
  example: { status: 'degraded', info: {}, error: {}, details: EXAMPLE_DETAILS },
};

const NOT_READY_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    statusCode: { type: 'integer', example: 503 },
    error: { type: 'string', example: 'Service Unavailable' },
    message: { type: 'array', items: { type: 'string' }, example: ['postgresPrimary: down', 'postgresReplica: down'] },
    requestId: { type: 'string' },
    status: { type: 'string', enum: ['error'] },
    details: DEPENDENCIES_SCHEMA,
  },
  required: ['statusCode', 'error', 'message', 'requestId', 'status', 'details'],
};

/**
 * Liveness and readiness. Ready (200) while this instance can serve requests: some Postgres server
 * answers (the primary; or, while it is down, the replica serves the catalog reads and writes get
 * 503). Redis, the replica or the primary being down makes it `degraded`, not unready: the cache
 * fails open to Postgres, sessions and sign-in checks fall back to Postgres, carts answer 503.
 * Unready (503) only while no Postgres server answers at all, or once the instance is shutting down
 * (before that, the routes do not exist yet: Fastify answers nothing until the app is initialized).
 */
@ApiTags('health')
@Public()
@Controller('health')
export class HealthController implements OnModuleDestroy {
  private draining = false;

  constructor(
    private readonly database: DatabaseHealth,
    private readonly redis: RedisHealth,
  ) {}

  /** Shutdown has begun: load balancers must stop sending traffic while requests in flight finish. */
  onModuleDestroy(): void {
    this.draining = true;
  }

  @Get('live')
  @ApiOperation({ operationId: 'getLiveness', summary: 'Liveness: 200 while the process runs' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({
    operationId: 'getReadiness',
    summary:
      'Readiness: Postgres primary, replica and Redis each up or down; 200 (ok or degraded) while this instance can serve, 503 while it shuts down or reaches no Postgres server',
  })
  @ApiOkResponse({
    schema: READY_SCHEMA,
    description: 'This instance serves: `ok` when every dependency is up, `degraded` when one is down',
  })
  @ApiServiceUnavailableResponse({ schema: NOT_READY_SCHEMA, description: 'Shutting down, or neither the primary nor the replica answers' })
  async ready(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<ReadyBody | NotReadyBody> {
    const [primary, replica, redis] = await Promise.all([this.database.primary(), this.database.replica(), this.redis.check()]);
    const details: Details = { ...primary, ...replica.result, ...redis };
    const info: Details = {};
    const error: Details = {};
    for (const [name, result] of Object.entries(details)) (result.status === 'up' ? info : error)[name] = result;
    const primaryUp = primary.postgresPrimary?.status === 'up';
    if (this.draining || !(primaryUp || replica.reachable)) {
      void reply.status(503);
      return {
        statusCode: 503,
        error: 'Service Unavailable',
        message: this.draining ? ['shutting down'] : Object.keys(error).map((name) => `${name}: down`),
        requestId: request.id,
        status: 'error',
        details,
      };
    }
    return { status: Object.keys(error).length ? 'degraded' : 'ok', info, error, details };
  }
}
