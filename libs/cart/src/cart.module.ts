import { Module } from '@nestjs/common';
import { CatalogModule } from '@app/catalog';
import { CartService } from './services/cart.service.js';
import { CartTokenService } from './services/cart-token.service.js';
import { GuestCartListener } from './services/guest-cart.listener.js';
import { CartStore } from './store/cart.store.js';

/**
 * Carts in Redis (user and guest), priced through the catalog's ProductLookup. Other modules use
 * CartService (orders: getForCheckout / clear); a sign-in with a guest cart token merges that cart
 * (GuestCartListener, on identity's `identity.user-signed-in` event).
 */
@Module({
  imports: [CatalogModule],
  providers: [CartTokenService, CartStore, CartService, GuestCartListener],
  exports: [CartService, CartTokenService],
})
export class CartModule {}
