import { Module } from '@nestjs/common';
import { CartModule } from '@app/cart';
import { CartController } from './controllers/cart.controller.js';
import { CartCallerGuard } from './http/cart-caller.guard.js';

/** The cart routes: the user's cart with a bearer token, a guest cart with X-Cart-Token. */
@Module({
  imports: [CartModule],
  controllers: [CartController],
  providers: [CartCallerGuard],
})
export class CartHttpModule {}
