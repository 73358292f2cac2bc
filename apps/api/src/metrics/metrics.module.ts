import { Global, Module } from '@nestjs/common';
import { CacheMetricsRegistration } from './cache-metrics.service.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsRegistry } from './metrics.registry.js';

/** Other modules register their collectors on the injected MetricsRegistry. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [MetricsRegistry, CacheMetricsRegistration],
  exports: [MetricsRegistry],
})
export class MetricsModule {}
