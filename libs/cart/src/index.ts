// What other modules and the apps may use from the cart.
export { CartModule } from './cart.module.js';
export { CartService, type CartCaller, type CartResult, type CheckoutLine } from './services/cart.service.js';
export { CartTokenService } from './services/cart-token.service.js';
export { CART_TOKEN_HEADER, CART_UNAVAILABLE_MESSAGE, MAX_CART_LINES, MAX_LINE_QUANTITY } from './cart.constants.js';
export type * from './cart.types.js';
