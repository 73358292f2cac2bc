import { Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { QueueAdmin } from '@app/jobs';
import { AdminOnly } from '../auth/index.js';
import { CacheStatsDto } from './dto/cache-stats.dto.js';
import { NamespaceParamDto } from './dto/namespace-param.dto.js';
import { QueuesDto, RetriedDto } from './dto/queues.dto.js';
import { CacheAdminService } from './services/cache-admin.service.js';
import { ApiErrors } from '../http/api-errors.decorator.js';

@ApiTags('operations')
@AdminOnly()
@Controller('admin')
export class OperationsController {
  constructor(
    private readonly cacheAdmin: CacheAdminService,
    private readonly queues: QueueAdmin,
  ) {}

  @Get('cache/stats')
  @ApiOperation({ operationId: 'getCacheStats', summary: 'Cache hits, misses and hit rate per namespace, totals, and Redis figures' })
  @ApiOkResponse({ type: CacheStatsDto })
  stats(): Promise<CacheStatsDto> {
    return this.cacheAdmin.stats();
  }

  @Delete('cache/:namespace')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'invalidateCacheNamespace',
    summary: 'Invalidate a whole cache namespace on every instance (O(1) version bump)',
  })
  @ApiNoContentResponse({ description: 'Invalidated' })
  @ApiErrors({ status: 400, description: 'Not a namespace name (lower-case letters, digits, - and _)' })
  @ApiErrors({ status: 503, description: 'Redis is unavailable' })
  async invalidate(@Param() params: NamespaceParamDto): Promise<void> {
    await this.cacheAdmin.invalidateNamespace(params.namespace);
  }

  @Get('redis/info')
  @ApiOperation({ operationId: 'getRedisInfo', summary: 'Redis INFO, parsed into sections' })
  @ApiOkResponse({
    description:
      'Sections by lower-cased name; each field a number (when numeric), a string, or the fields of a `k=v,…` list (keyspace, commandstats)',
    schema: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: {
          oneOf: [
            { type: 'string' },
            { type: 'number' },
            { type: 'object', additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }] } },
          ],
        },
      },
      example: {
        server: { redis_version: '7.0.15', uptime_in_seconds: 12 },
        memory: { used_memory: 1048576 },
        keyspace: { db0: { keys: 3, expires: 0, avg_ttl: 0 } },
      },
    },
  })
  @ApiErrors({ status: 503, description: 'Redis is unavailable' })
  info(): Promise<Record<string, unknown>> {
    return this.cacheAdmin.info();
  }

  @Get('queues')
  @ApiOperation({ operationId: 'listQueues', summary: 'Job counts per queue, and the outbox backlog (events committed, not yet relayed)' })
  @ApiOkResponse({ type: QueuesDto })
  @ApiErrors({ status: 503, description: 'Redis (the queues) or Postgres (the outbox) is unavailable' })
  async queueCounts(): Promise<QueuesDto> {
    const [queues, outbox] = await Promise.all([this.queues.counts(), this.queues.outboxBacklog()]);
    return { queues, outbox };
  }

  @Post('queues/:name/retry-failed')
  @HttpCode(200)
  @ApiOperation({ operationId: 'retryFailedJobs', summary: 'Move every failed job of the queue back to waiting' })
  @ApiParam({ name: 'name', example: 'bestsellers' })
  @ApiOkResponse({ type: RetriedDto })
  @ApiErrors({ status: 404, description: 'No queue of that name' })
  @ApiErrors({ status: 503, description: 'Redis is unavailable' })
  async retryFailed(@Param('name') name: string): Promise<RetriedDto> {
    return { retried: await this.queues.retryFailed(name) };
  }
}
