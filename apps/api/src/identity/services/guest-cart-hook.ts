import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { GUEST_CART_MERGER, type GuestCartMerger } from '../guest-cart-merger.js';

const MAX_CART_TOKEN_LENGTH = 256;

/** Calls the cart module's GuestCartMerger when one is provided anywhere in the app. */
@Injectable()
export class GuestCartHook implements OnApplicationBootstrap {
  private readonly logger = new Logger(GuestCartHook.name);
  private merger: GuestCartMerger | null = null;

  constructor(private readonly moduleRef: ModuleRef) {}

  onApplicationBootstrap(): void {
    try {
      this.merger = this.moduleRef.get<GuestCartMerger>(GUEST_CART_MERGER, { strict: false });
    } catch {
      this.merger = null; // no cart module: merging is a no-op
    }
  }

  async afterSignIn(userId: string, cartToken: string | undefined, requestId?: string): Promise<void> {
    if (!this.merger || !cartToken || cartToken.length > MAX_CART_TOKEN_LENGTH) return;
    try {
      const outcome = await this.merger.merge(userId, cartToken);
      if (outcome?.linesCapped) this.logger.log({ requestId, msg: `guest cart merged, ${outcome.linesCapped} line(s) capped by stock or limits` });
    } catch (error) {
      this.logger.warn({ requestId, msg: `guest cart not merged: ${(error as Error).message}` });
    }
  }
}
