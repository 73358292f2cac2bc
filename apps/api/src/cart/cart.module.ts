import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module.js';
import { GUEST_CART_MERGER } from '../identity/guest-cart-merger.js';
import { CartController } from './controllers/cart.controller.js';
import { CartCallerGuard } from './http/cart-caller.js';
import { CartService } from './services/cart-service.js';
import { CartStore } from './services/cart-store.js';
import { CartTokenService } from './services/cart-token.js';
import { GuestCartMergerService } from './services/guest-cart-merger.service.js';

/**
 * Carts in Redis (user and guest), priced through the catalog's ProductLookup. Other modules use
 * CartService (orders: getForCheckout / clear); identity reaches the merge through GUEST_CART_MERGER.
 */
@Module({
  imports: [CatalogModule],
  controllers: [CartController],
  providers: [
    CartTokenService,
    CartStore,
    CartService,
    CartCallerGuard,
    GuestCartMergerService,
    { provide: GUEST_CART_MERGER, useExisting: GuestCartMergerService },
  ],
  exports: [CartService, GUEST_CART_MERGER],
})
export class CartModule {}
