import { Module } from '@nestjs/common';

/**
 * Orders: checkout, idempotency keys, the order state machine, history and the outbox writer.
 * Imported by the API and the worker like every domain module.
 */
@Module({})
export class OrdersModule {}
