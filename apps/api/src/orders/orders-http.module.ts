import { Module } from '@nestjs/common';
import { OrdersModule } from '@app/orders';
import { OrdersController } from './controllers/orders.controller.js';

/** The order routes: idempotent checkout, reads, status changes, the audit trail. */
@Module({
  imports: [OrdersModule],
  controllers: [OrdersController],
})
export class OrdersHttpModule {}
