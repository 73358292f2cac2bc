import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { CartService } from '@app/cart';
import { InventoryService, UnknownProductsError } from '@app/catalog';
import { APP_CONFIG, ConflictError, InvalidInputError, UnprocessableError, type AppConfig } from '@app/common';
import { OutboxRepository, Transactions, type Transaction } from '@app/database';
import {
  ORDER_EVENTS,
  type CheckoutAnswer,
  type CheckoutRequest,
  type Order,
  type OrderLine,
  type OrderPlacedEvent,
} from '../orders.types.js';
import { IdempotencyKeysRepository, type StoredAnswer } from '../repositories/idempotency-keys.repository.js';
import { OrdersRepository } from '../repositories/orders.repository.js';
import { AnswerCache } from '../store/answer-cache.store.js';
import { OrderTransitions } from './order-transitions.service.js';

type Line = { productId: string; quantity: number };

/**
 * Checkout with an idempotency key, exact under concurrency:
 * - the key is claimed by a row inserted in the order transaction, before anything else: a second
 *   request with the key (on any instance) blocks on that row until the first transaction ends,
 *   then replays its stored answer (committed) or takes the key (rolled back);
 * - stock is taken by guarded single-statement updates in product id order (InventoryService), so
 *   a short product rolls everything back and nothing is oversold;
 * - only a created order is stored under the key: any failure rolls the claim back with the rest,
 *   and the client may retry with the same key;
 * - the answer is serialized once; the same text is returned now and replayed later, byte for byte.
 */
@Injectable()
export class CheckoutService {
  private readonly logger = new Logger(CheckoutService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly transactions: Transactions,
    private readonly keys: IdempotencyKeysRepository,
    private readonly orders: OrdersRepository,
    private readonly transitions: OrderTransitions,
    private readonly inventory: InventoryService,
    private readonly outbox: OutboxRepository,
    private readonly cart: CartService,
    private readonly answers: AnswerCache,
  ) {}

  async checkout(
    user: { id: string; role: 'customer' | 'admin' },
    key: string,
    request: CheckoutRequest,
    requestId?: string,
  ): Promise<CheckoutAnswer> {
    const fingerprint = fingerprintOf(request);
    const cached = await this.answers.get(user.id, key);
    if (cached) return replay(cached, fingerprint);
    const fromCart = request.items === undefined;
    // Read before the transaction (Redis, not Postgres); a concurrent request that already used
    // the key is found by the claim below and replayed, whatever this read saw.
    const lines = fromCart ? await this.cart.getForCheckout(user.id) : normalizeItems(request.items!);
    const answer = await this.transactions.run(async (tx) => {
      if (!(await this.keys.claim(user.id, key, fingerprint, tx.manager))) {
        const first = await this.keys.find(user.id, key, tx.manager);
        if (first) {
          tx.afterCommit(() => this.answers.remember(user.id, key, first).catch(() => undefined));
          return replay(first, fingerprint);
        }
        throw new ConflictError('Idempotency-Key: a request with this key is being processed; retry');
      }
      if (lines.length === 0) throw new UnprocessableError(fromCart ? 'cart: is empty' : 'items: must not be empty');
      const body = await this.place(tx, user, lines, fromCart);
      await this.keys.complete(user.id, key, body.id, 201, body.json, tx.manager);
      tx.afterCommit(() => this.answers.remember(user.id, key, { fingerprint, statusCode: 201, body: body.json }).catch(() => undefined));
      if (fromCart) tx.afterCommit(() => this.emptyCart(user.id, lines, requestId));
      return { statusCode: 201, body: body.json, replayed: false };
    });
    return answer;
  }

  /** Takes the stock and writes the order, its lines, its first history entry and its event. */
  private async place(
    tx: Transaction,
    user: { id: string; role: 'customer' | 'admin' },
    lines: Line[],
    fromCart: boolean,
  ): Promise<{ id: string; json: string }> {
    const taken = await this.inventory.takeStock(tx, lines).catch((error: unknown) => {
      // A product removed from the catalog since it was put in the cart cannot be bought: a conflict.
      if (fromCart && error instanceof UnknownProductsError)
        throw new ConflictError(`product(s) no longer available: ${error.productIds.join(', ')}`);
      throw error;
    });
    const items: OrderLine[] = taken.map((t) => ({
      productId: t.productId,
      sku: t.sku,
      name: t.name,
      unitPriceCents: t.priceCents,
      quantity: t.quantity,
      lineTotalCents: t.priceCents * t.quantity,
    }));
    const id = randomUUID();
    const createdAt = new Date().toISOString();
    const order: Order = {
      id,
      status: 'placed',
      items,
      totalCents: items.reduce((sum, l) => sum + l.lineTotalCents, 0),
      currency: this.config.app.currency,
      createdAt,
    };
    const first = this.transitions.firstEntry(id, createdAt, { kind: 'user', userId: user.id, role: user.role });
    await this.orders.insert({ ...order, userId: user.id, lines: items, historyHead: first.hash }, tx.manager);
    await this.transitions.recordFirst(tx, first);
    const event: OrderPlacedEvent = {
      orderId: id,
      userId: user.id,
      items: items.map((l) => ({ productId: l.productId, quantity: l.quantity })),
    };
    await this.outbox.append(tx.manager, ORDER_EVENTS.placed, event);
    return { id, json: JSON.stringify(order) };
  }

  /** After the commit: the bought lines leave the cart; the order stands even when Redis fails now. */
  private async emptyCart(userId: string, bought: Line[], requestId?: string): Promise<void> {
    await this.cart
      .removePurchased(userId, bought)
      .catch((error: unknown) => this.logger.warn({ requestId, msg: `cart not emptied after checkout: ${(error as Error).message}` }));
  }
}

/** The same answer for the same request; a different request under the key is refused. */
function replay(stored: StoredAnswer, fingerprint: string): CheckoutAnswer {
  if (stored.fingerprint !== fingerprint) throw new UnprocessableError('Idempotency-Key: was already used with a different request body');
  return { statusCode: stored.statusCode, body: stored.body, replayed: true };
}

function normalizeItems(items: readonly Line[]): Line[] {
  const lines = items.map((i) => ({ productId: i.productId.toLowerCase(), quantity: i.quantity }));
  const seen = new Set<string>();
  lines.forEach((line, index) => {
    if (seen.has(line.productId))
      throw new InvalidInputError([`items.${index}.productId: product ${line.productId} appears more than once`]);
    seen.add(line.productId);
  });
  return lines;
}

/** SHA-256 of the request in one canonical form (field order and id case do not matter). */
export function fingerprintOf(request: CheckoutRequest): string {
  const canonical =
    request.items === undefined ? { cart: true } : { items: request.items.map((i) => [i.productId.toLowerCase(), i.quantity]) };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}
