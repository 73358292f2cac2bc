import { Injectable, Logger } from '@nestjs/common';
import { OnDomainEvent } from '@app/common';
import type { UserSignedIn } from '@app/identity';
import { CartService } from './cart.service.js';

const MAX_CART_TOKEN_LENGTH = 256;

/**
 * A sign-in that carried a guest cart token moves that guest cart into the user's cart. A failed
 * merge is logged and never fails the sign-in (the guest cart is then left untouched, or resumed
 * by the next merge on a cluster); so is a merge that had to cap lines.
 */
@Injectable()
export class GuestCartListener {
  private readonly logger = new Logger(GuestCartListener.name);

  constructor(private readonly cart: CartService) {}

  @OnDomainEvent('identity.user-signed-in')
  async onSignedIn(event: UserSignedIn): Promise<void> {
    const token = event.guestCartToken;
    if (!token || token.length > MAX_CART_TOKEN_LENGTH) return;
    try {
      const outcome = await this.cart.mergeGuest(event.userId, token);
      if (outcome?.linesCapped)
        this.logger.log({ requestId: event.requestId, msg: `guest cart merged, ${outcome.linesCapped} line(s) capped by stock or limits` });
    } catch (error) {
      this.logger.warn({ requestId: event.requestId, msg: `guest cart not merged: ${(error as Error).message}` });
    }
  }
}
