import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, ConflictError, NotFoundError, UnprocessableError, type AppConfig } from '@app/common';
import { ProductLookup, type ProductSummary } from '@app/catalog';
import { MAX_CART_LINES, MAX_LINE_QUANTITY } from '../cart.constants.js';
import type { CartCount, CartView } from '../cart.types.js';
import {
  CartStore,
  guestCart,
  userCart,
  type CartRef,
  type MergeOutcome,
  type StoredCart,
  type WriteOutcome,
} from '../store/cart.store.js';
import { CartTokenService } from './cart-token.service.js';
import { buildCartView } from './cart-view.js';

/** Who is using the cart: a signed-in user, or a guest with (or still without) a cart token. */
export type CartCaller = { kind: 'user'; userId: string } | { kind: 'guest'; cartId: string | null; token: string | null };

/** A cart answer plus, for guests, the token to send back (set as the X-Cart-Token header). */
export interface CartResult<T = CartView> {
  body: T;
  cartToken?: string;
}

/** A line as checkout needs it (prices and stock are re-read from the primary there). */
export interface CheckoutLine {
  productId: string;
  quantity: number;
}

const EMPTY: StoredCart = { quantities: new Map(), snapshots: new Map(), updatedAt: null };

/**
 * Cart use cases. A signed-in caller always works on their user cart; a guest on the cart named by
 * their token, created (and its token issued) by the first write that stores a line. Reads price
 * every line with the current catalog (one batched lookup).
 */
@Injectable()
export class CartService {
  private readonly currency: string;

  constructor(
    private readonly store: CartStore,
    private readonly products: ProductLookup,
    private readonly tokens: CartTokenService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.currency = config.app.currency;
  }

  async get(caller: CartCaller): Promise<CartResult> {
    const ref = this.existing(caller);
    const stored = ref ? await this.store.read(ref) : EMPTY;
    return this.result(caller, stored);
  }

  async count(caller: CartCaller): Promise<CartResult<CartCount>> {
    const ref = this.existing(caller);
    const body = ref ? await this.store.count(ref) : { count: 0, lines: 0 };
    return { body, cartToken: tokenOf(caller) };
  }

  /** Adds units to a line: 404 unknown product, 409 beyond stock, 422 beyond the line/cart limits. */
  async addItem(caller: CartCaller, productId: string, quantity: number): Promise<CartResult> {
    const product = await this.liveProduct(productId);
    const ref = this.forWrite(caller);
    const outcome = await this.store.add(ref, productId, quantity, product.stock, snapshotOf(product));
    return this.afterWrite(caller, outcome, product, quantity);
  }

  /** Sets a line; 0 removes it (no catalog lookup, so lines of deleted products can be removed). */
  async setItem(caller: CartCaller, productId: string, quantity: number): Promise<CartResult> {
    if (quantity === 0) return this.removeItem(caller, productId);
    const product = await this.liveProduct(productId);
    const ref = this.forWrite(caller);
    const outcome = await this.store.set(ref, productId, quantity, product.stock, snapshotOf(product));
    return this.afterWrite(caller, outcome, product, quantity);
  }

  async removeItem(caller: CartCaller, productId: string): Promise<CartResult> {
    const ref = this.existing(caller);
    const stored = ref ? await this.store.remove(ref, productId) : EMPTY;
    return this.result(caller, stored);
  }

  /** Empties the caller's cart . */
  async empty(caller: CartCaller): Promise<void> {
    const ref = this.existing(caller);
    if (ref) await this.store.clear(ref);
  }

  /** For orders: the user's lines (no prices: checkout re-reads them from the primary). */
  async getForCheckout(userId: string): Promise<CheckoutLine[]> {
    const stored = await this.store.read(userCart(userId));
    return [...stored.quantities].map(([productId, quantity]) => ({ productId, quantity }));
  }

  /**
   * For orders, after a checkout of the cart committed: takes the bought quantities off the user's
   * cart, so lines added or raised while the checkout ran are kept.
   */
  async removePurchased(userId: string, lines: readonly CheckoutLine[]): Promise<void> {
    await this.store.subtract(userCart(userId), lines);
  }

  /** Merges the guest cart of `cartToken` into the user's cart; an invalid token merges nothing. */
  async mergeGuest(userId: string, cartToken: string): Promise<MergeOutcome | null> {
    const guestId = this.tokens.verify(cartToken);
    if (!guestId) return null;
    return this.store.merge(guestCart(guestId), userCart(userId), async (ids) => {
      const found = await this.products.findMany(ids);
      return new Map(ids.map((id) => [id, Math.min(found.get(id)?.stock ?? 0, MAX_LINE_QUANTITY)]));
    });
  }

  private async liveProduct(productId: string): Promise<ProductSummary> {
    const product = await this.products.findOne(productId);
    if (!product) throw new NotFoundError(`product ${productId} not found`);
    return product;
  }

  /** The cart to write to, issuing a guest token when the guest has none yet. */
  private forWrite(caller: CartCaller): CartRef {
    if (caller.kind === 'user') return userCart(caller.userId);
    if (!caller.cartId) {
      const { cartId, token } = this.tokens.issue();
      caller.cartId = cartId;
      caller.token = token;
    }
    return guestCart(caller.cartId);
  }

  private existing(caller: CartCaller): CartRef | null {
    if (caller.kind === 'user') return userCart(caller.userId);
    return caller.cartId ? guestCart(caller.cartId) : null;
  }

  private async afterWrite(caller: CartCaller, outcome: WriteOutcome, product: ProductSummary, quantity: number): Promise<CartResult> {
    if (!outcome.ok) {
      if (outcome.reason === 'stock') {
        const inCart = outcome.current ? ` (${outcome.current} already in the cart)` : '';
        throw new ConflictError(`quantity: only ${product.stock} of product ${product.id} in stock${inCart}`);
      }
      if (outcome.reason === 'lines') throw new UnprocessableError(`cart: at most ${MAX_CART_LINES} different products per cart`);
      throw new UnprocessableError(
        `quantity: a cart line holds at most ${MAX_LINE_QUANTITY} units (${outcome.current} already in the cart, ${quantity} requested)`,
      );
    }
    return this.result(caller, outcome.cart, product);
  }

  private async result(caller: CartCaller, stored: StoredCart, known?: ProductSummary): Promise<CartResult> {
    const ids = [...stored.quantities.keys()];
    const products = ids.length ? await this.products.findMany(ids) : new Map<string, ProductSummary>();
    if (known && !products.has(known.id) && stored.quantities.has(known.id)) products.set(known.id, known);
    return { body: buildCartView(stored, products, this.currency), cartToken: tokenOf(caller) };
  }
}

function tokenOf(caller: CartCaller): string | undefined {
  return caller.kind === 'guest' ? (caller.token ?? undefined) : undefined;
}

function snapshotOf(product: ProductSummary) {
  return { name: product.name, priceCents: product.priceCents, addedAt: new Date().toISOString() };
}
