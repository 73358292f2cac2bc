import { Controller, Get, Req, Res, ServiceUnavailableException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { Public } from '@app/common';
import { DatabaseHealth } from './database.health.js';
import { RedisHealth } from './redis.health.js';

interface NotReadyBody {
  statusCode: 503;
  error: string;
  message: string[];
  requestId: string;
  status: 'error';
  details: HealthCheckResult['details'];
}

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: DatabaseHealth,
    private readonly redis: RedisHealth,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: 200 while the process runs' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: Postgres primary, replica and Redis; 503 when the service cannot serve' })
  @ApiServiceUnavailableResponse({ description: 'The primary or Redis is unreachable' })
  async ready(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult | NotReadyBody> {
    try {
      return await this.health.check([() => this.database.primary(), () => this.database.replica(), () => this.redis.check()]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      // Keep the per-dependency details (the generic error filter would drop them), in the error shape.
      const result = error.getResponse() as HealthCheckResult;
      void reply.status(503);
      return {
        statusCode: 503,
        error: 'Service Unavailable',
        message: Object.keys(result.error ?? {}).map((name) => `${name}: down`),
        requestId: request.id,
        status: 'error',
        details: result.details,
      };
    }
  }
}
