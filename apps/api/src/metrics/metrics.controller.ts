import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Public } from '@app/common';
import { MetricsRegistry } from './metrics.registry.js';

@ApiTags('operations')
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsRegistry) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({
    operationId: 'getMetrics',
    summary: 'Prometheus metrics: HTTP latency, cache hits/misses per namespace, locks, queues, process',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'Prometheus text exposition format (version 0.0.4)',
    content: {
      'text/plain': {
        schema: { type: 'string' },
        example:
          '# HELP http_request_duration_seconds HTTP request latency by method, route pattern and status code\n# TYPE http_request_duration_seconds histogram\nhttp_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/v1/products",status_code="200"} 42\n',
      },
    },
  })
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
