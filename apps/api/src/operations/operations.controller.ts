import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { ErrorBody } from '@app/common';
import { AdminOnly } from '../auth/index.js';
import { CacheStatsDto } from './dto/cache-stats.dto.js';
import { NamespaceParamDto } from './dto/namespace-param.dto.js';
import { CacheAdminService } from './services/cache-admin.service.js';

@ApiTags('operations')
@AdminOnly()
@Controller('admin')
export class OperationsController {
  constructor(private readonly cacheAdmin: CacheAdminService) {}

  @Get('cache/stats')
  @ApiOperation({ summary: 'Cache hits, misses and hit rate per namespace, totals, and Redis figures' })
  @ApiOkResponse({ type: CacheStatsDto })
  stats(): Promise<CacheStatsDto> {
    return this.cacheAdmin.stats();
  }

  @Delete('cache/:namespace')
  @HttpCode(204)
  @ApiOperation({ summary: 'Invalidate a whole cache namespace on every instance (O(1) version bump)' })
  @ApiNoContentResponse({ description: 'Invalidated' })
  @ApiServiceUnavailableResponse({ type: ErrorBody, description: 'Redis is unavailable' })
  async invalidate(@Param() params: NamespaceParamDto): Promise<void> {
    await this.cacheAdmin.invalidateNamespace(params.namespace);
  }

  @Get('redis/info')
  @ApiOperation({ summary: 'Redis INFO, parsed into sections' })
  @ApiOkResponse({ schema: { type: 'object', additionalProperties: { type: 'object' }, example: { server: { redis_version: '7.0.15' }, memory: { used_memory: 1048576 } } } })
  @ApiServiceUnavailableResponse({ type: ErrorBody, description: 'Redis is unavailable' })
  info(): Promise<Record<string, unknown>> {
    return this.cacheAdmin.info();
  }
}
