import { Module } from '@nestjs/common';
import { CartModule } from '@app/cart';
import { ThrottlingModule } from '../throttling/throttling.module.js';
import { CartController } from './controllers/cart.controller.js';
import { CartCallerGuard } from './http/cart-caller.guard.js';
import { GuestCartLimit } from './http/guest-cart-limit.js';

/** The cart routes: the user's cart with a bearer token, a guest cart with X-Cart-Token (new ones limited per IP). */
@Module({
  imports: [CartModule, ThrottlingModule],
  controllers: [CartController],
  providers: [CartCallerGuard, GuestCartLimit],
})
export class CartHttpModule {}
