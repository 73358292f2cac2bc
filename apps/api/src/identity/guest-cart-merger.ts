/**
 * Hook for the cart module: after a successful login or register that carried `X-Cart-Token`,
 * identity calls `merge(userId, cartToken)`. Provide it under GUEST_CART_MERGER in any module
 * (identity looks it up app-wide); without a provider the call is a no-op. A failing merge is
 * logged and never fails the sign-in; so is a merge that had to cap lines (`linesCapped`).
 */
export interface GuestCartMerger {
  merge(userId: string, cartToken: string): Promise<{ linesCapped: number } | undefined>;
}

export const GUEST_CART_MERGER = Symbol('GUEST_CART_MERGER');
