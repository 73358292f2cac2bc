import { Module } from '@nestjs/common';
import { JobsModule } from '@app/jobs';
import { OperationsController } from './operations.controller.js';
import { CacheAdminService } from './services/cache-admin.service.js';
import { QueueMetrics } from './services/queue-metrics.service.js';
import { RedisMemoryMetrics } from './services/redis-memory-metrics.service.js';

/** Admin-only operational routes: cache stats, namespace invalidation, Redis INFO, job queues. */
@Module({
  imports: [JobsModule.forRoot('api')],
  controllers: [OperationsController],
  providers: [CacheAdminService, QueueMetrics, RedisMemoryMetrics],
})
export class OperationsModule {}
