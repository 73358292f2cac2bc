import { Injectable } from '@nestjs/common';
import type { GuestCartMerger } from '../../identity/guest-cart-merger.js';
import { CartService } from './cart-service.js';

/**
 * Identity's sign-in hook (provided as GUEST_CART_MERGER): after login/register carrying
 * X-Cart-Token, the guest cart moves into the user's cart. An invalid token merges nothing; a
 * failure is thrown to the hook, which logs it and never fails the sign-in (the guest cart is
 * then left untouched, or resumed by the next merge on a cluster).
 */
@Injectable()
export class GuestCartMergerService implements GuestCartMerger {
  constructor(private readonly cart: CartService) {}

  async merge(userId: string, cartToken: string): Promise<{ linesCapped: number } | undefined> {
    const outcome = await this.cart.mergeGuest(userId, cartToken);
    return outcome ? { linesCapped: outcome.linesCapped } : undefined;
  }
}
