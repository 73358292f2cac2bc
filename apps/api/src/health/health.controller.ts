import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { Public } from '@app/common';
import { DatabaseHealth } from './database.health.js';
import { RedisHealth } from './redis.health.js';

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
  ready(): Promise<HealthCheckResult> {
    return this.health.check([() => this.database.primary(), () => this.database.replica(), () => this.redis.check()]);
  }
}
