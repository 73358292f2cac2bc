// What other modules may use from identity: the module, its services and the cart-merge hook.
export { IdentityModule } from './identity.module.js';
export { UsersService, type UserView, type UserPage } from './services/users-service.js';
export { SessionService } from './services/session-service.js';
export { GUEST_CART_MERGER, type GuestCartMerger } from './guest-cart-merger.js';
