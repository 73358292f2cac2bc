import { Module } from '@nestjs/common';
import { OperationsController } from './operations.controller.js';
import { CacheAdminService } from './services/cache-admin.service.js';

/** Admin-only operational routes: cache stats, namespace invalidation, Redis INFO. */
@Module({
  controllers: [OperationsController],
  providers: [CacheAdminService],
})
export class OperationsModule {}
