/** Redis namespace of every cart key: `{prefix}:{cart:<cartId>}:qty|details|...`. */
export const CART_NAMESPACE = 'cart';

/** Most units of one product a cart line may hold. */
export const MAX_LINE_QUANTITY = 100;

/** Most distinct products (lines) a cart may hold. */
export const MAX_CART_LINES = 100;

/** The guest cart header (request and response). */
export const CART_TOKEN_HEADER = 'x-cart-token';

/** The one message every cart route answers with while Redis cannot be reached (503). */
export const CART_UNAVAILABLE_MESSAGE = 'cart: temporarily unavailable';
