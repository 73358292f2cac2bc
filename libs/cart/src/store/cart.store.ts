import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  KeyBuilder,
  REDIS_CLIENT,
  corkForTurn,
  failFast,
  isCluster,
  isUnavailabilityError,
  type LuaScript,
  type RedisClient,
} from '@app/cache';
import { APP_CONFIG, UnavailableError, type AppConfig } from '@app/common';
import { CART_NAMESPACE, CART_UNAVAILABLE_MESSAGE, MAX_CART_LINES, MAX_LINE_QUANTITY } from '../cart.constants.js';
import {
  ADD_ITEM,
  CART_FIELD_SEPARATOR,
  CART_HASH_SEPARATOR,
  COUNT_CART,
  MERGE_APPLY,
  MERGE_ATOMIC,
  MERGE_DROP,
  MERGE_FREEZE,
  READ_CART,
  REMOVE_ITEM,
  SET_ITEM,
  SUBTRACT_LINES,
} from './cart-scripts.js';

/** Which cart: a user's (`u-<userId>`) or a guest's (`g-<token uuid>`); the two can never collide. */
export interface CartRef {
  kind: 'user' | 'guest';
  /** The owner id: user id or guest cart uuid. */
  ownerId: string;
}

export const userCart = (userId: string): CartRef => ({ kind: 'user', ownerId: userId });
export const guestCart = (cartId: string): CartRef => ({ kind: 'guest', ownerId: cartId });

/** The price/name snapshot kept per line in the details hash. */
export interface LineSnapshot {
  name: string;
  priceCents: number;
  addedAt: string;
}

/** A cart as stored. */
export interface StoredCart {
  /** productId → quantity */
  quantities: Map<string, number>;
  /** productId → snapshot taken when the line was created */
  snapshots: Map<string, LineSnapshot>;
  updatedAt: string | null;
}

export type WriteOutcome =
  { ok: true; quantity: number; cart: StoredCart } | { ok: false; reason: 'stock' | 'lines' | 'line-limit'; current: number };

export interface MergeOutcome {
  /** Lines of the user cart that grew. */
  linesChanged: number;
  /** Guest lines that did not fit entirely (stock, 100 per line, 100 lines). */
  linesCapped: number;
}

/** productIds → cap (min(stock, 100); 0 for unknown or deleted products). */
export type CapsLookup = (productIds: string[]) => Promise<Map<string, number>>;

/** Redis could not be reached, or refuses writes: the cart has no fallback (its data lives there). */
export class CartUnavailableError extends UnavailableError {
  constructor() {
    super(CART_UNAVAILABLE_MESSAGE);
  }
}

const UPDATED_AT = '_updatedAt';
// Replies of a Redis that answers but refuses writes: out of memory under `noeviction` (the policy
// that keeps carts from being evicted), or unable to persist (stop-writes-on-bgsave-error).
const WRITES_REFUSED = /^(OOM|MISCONF) /;
const MERGE_MARKER_MIN_TTL_MS = 24 * 3_600_000;
/** Cart adds per socket write within an event-loop turn (see add). */
export const ADD_WRITE_CHUNK = 8;

/**
 * Redis storage of carts:
 *   `{prefix}:{cart:<id>}:qty`      hash productId → quantity (HINCRBY / Lua only)
 *   `{prefix}:{cart:<id>}:details`  hash productId → JSON snapshot, plus `_updatedAt`
 * Both keys share the hash tag `{cart:<id>}` (one cluster slot), so each read is one script call and
 * each change is one atomic script over both (see cart-scripts.ts for why Lua and not MULTI). Every
 * call refreshes the sliding expiry (users 30 days, guests 2 days by default).
 * Connection failures and refused writes (out of memory, cannot persist) become CartUnavailableError
 * (503 with Retry-After), never Redis text.
 */
@Injectable()
export class CartStore {
  private readonly userTtlMs: number;
  private readonly guestTtlMs: number;
  private readonly timeoutMs: number;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    private readonly keyBuilder: KeyBuilder,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.userTtlMs = config.cart.userTtlSeconds * 1000;
    this.guestTtlMs = config.cart.guestTtlSeconds * 1000;
    // A little more than the client's own command timeout, so that one answers first.
    this.timeoutMs = config.redis.commandTimeoutMs + 500;
  }

  /** The keys of a cart: [qty, details]. */
  keys(cart: CartRef): [string, string] {
    const id = cartKeyId(cart);
    return [this.keyBuilder.hashTagged(CART_NAMESPACE, id, 'qty'), this.keyBuilder.hashTagged(CART_NAMESPACE, id, 'details')];
  }

  ttlMs(cart: CartRef): number {
    return cart.kind === 'user' ? this.userTtlMs : this.guestTtlMs;
  }

  async read(cart: CartRef): Promise<StoredCart> {
    return parseFlatCart((await this.run(READ_CART, this.keys(cart), [this.ttlMs(cart)])) as string);
  }

  /** {count: units, lines}, refreshing the expiry. */
  async count(cart: CartRef): Promise<{ count: number; lines: number }> {
    const values = (await this.run(COUNT_CART, this.keys(cart), [this.ttlMs(cart)])) as string[];
    let count = 0;
    for (const v of values) count += Number(v) || 0;
    return { count, lines: values.length };
  }

  /** Adds `delta` to a line if the result stays within stock, 100 per line and 100 lines. */
  async add(cart: CartRef, productId: string, delta: number, stock: number, snapshot: LineSnapshot): Promise<WriteOutcome> {
    // The adds of one event-loop turn (a burst of guests adding) go to Redis in writes of
    // ADD_WRITE_CHUNK instead of one each: the first chunk's scripts run while the rest of the burst
    // is read (one write per turn left the process idle while Redis worked through all of them).
    // Reads stay uncorked: sent at once, Redis answers while the next requests are parsed, which
    // measured faster for GET /cart than one write.
    corkForTurn(this.redis, ADD_WRITE_CHUNK);
    const reply = (await this.run(ADD_ITEM, this.keys(cart), [
      productId,
      delta,
      stock,
      MAX_LINE_QUANTITY,
      MAX_CART_LINES,
      JSON.stringify(snapshot),
      new Date().toISOString(),
      this.ttlMs(cart),
    ])) as [number, number, string?];
    return outcome(reply);
  }

  /** Sets a line to `quantity` (0 removes it) within stock and 100 lines. */
  async set(cart: CartRef, productId: string, quantity: number, stock: number, snapshot: LineSnapshot | null): Promise<WriteOutcome> {
    const reply = (await this.run(SET_ITEM, this.keys(cart), [
      productId,
      quantity,
      stock,
      MAX_CART_LINES,
      snapshot ? JSON.stringify(snapshot) : '{}',
      new Date().toISOString(),
      this.ttlMs(cart),
    ])) as [number, number, string?];
    return outcome(reply);
  }

  /** Removes a line (no-op when absent); the cart after the change. */
  async remove(cart: CartRef, productId: string): Promise<StoredCart> {
    const [, , flat] = (await this.run(REMOVE_ITEM, this.keys(cart), [productId, new Date().toISOString(), this.ttlMs(cart)])) as [
      number,
      number,
      string,
    ];
    return parseFlatCart(flat);
  }

  /** Takes bought quantities off their lines (lines at 0 go; the cart goes when empty). */
  async subtract(cart: CartRef, lines: readonly { productId: string; quantity: number }[]): Promise<void> {
    const args: (string | number)[] = [new Date().toISOString(), this.ttlMs(cart)];
    for (const line of lines) args.push(line.productId, line.quantity);
    await this.run(SUBTRACT_LINES, this.keys(cart), args);
  }

  /** Deletes the cart (one DEL of both keys: atomic, same slot). */
  async clear(cart: CartRef): Promise<void> {
    const keys = this.keys(cart);
    await this.guard(() => this.redis.del(...keys), true);
  }

  /** Remaining time to live of both keys in ms (-2 missing, -1 none): for diagnostics. */
  async pttl(cart: CartRef): Promise<[number, number]> {
    const [q, d] = this.keys(cart);
    return this.guard(async () => [await this.redis.pttl(q), await this.redis.pttl(d)] as [number, number]);
  }

  /**
   * Moves a guest cart into a user cart: quantities added, capped by stock and the limits, guest cart
   * deleted. One script over both carts on a single node; the three-step hand-off on a cluster.
   */
  merge(guest: CartRef, user: CartRef, caps: CapsLookup): Promise<MergeOutcome> {
    return isCluster(this.redis) ? this.mergeStepwise(guest, user, caps) : this.mergeAtomic(guest, user, caps);
  }

  /** Single node: ONE Lua script reads, applies and deletes; retried if a guest add raced the lookup. */
  async mergeAtomic(guest: CartRef, user: CartRef, caps: CapsLookup): Promise<MergeOutcome> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const stored = await this.read(guest);
      const capOf = await caps([...stored.quantities.keys()]);
      const args: (string | number)[] = [MAX_CART_LINES, new Date().toISOString(), this.ttlMs(user)];
      for (const pid of stored.quantities.keys()) args.push(pid, capOf.get(pid) ?? 0);
      const [status, changed, capped] = (await this.run(MERGE_ATOMIC, [...this.keys(guest), ...this.keys(user)], args)) as number[];
      if (status !== -1) return { linesChanged: changed ?? 0, linesCapped: capped ?? 0 };
    }
    // Five lookups in a row lost against guest adds: leave both carts as they are (nothing lost).
    throw new Error('cart merge: guest cart kept changing');
  }

  /**
   * Cluster: FREEZE (guest slot) → APPLY (user slot, idempotent by merge id) → DROP (guest slot).
   * Each step is one atomic script on one slot; a stop between steps is resumed by the next call.
   */
  async mergeStepwise(guest: CartRef, user: CartRef, caps: CapsLookup, stopAfter?: 'freeze' | 'apply'): Promise<MergeOutcome> {
    const total: MergeOutcome = { linesChanged: 0, linesCapped: 0 };
    const handoff = this.handoffKeys(guest);
    for (let round = 0; round < 3; round++) {
      const [state, mergeId, ownerId, q, d] = (await this.run(
        MERGE_FREEZE,
        [...this.keys(guest), ...handoff],
        [randomUUID(), user.ownerId, this.guestTtlMs],
      )) as [string, string, string, string[], string[]];
      if (state === 'empty') break;
      if (stopAfter === 'freeze') return total;
      const target = userCart(ownerId); // a resumed hand-off goes to the user it was frozen for
      const lines: [string, number][] = [];
      const details = new Map<string, string>();
      for (let i = 0; i + 1 < q.length; i += 2) lines.push([q[i], Number(q[i + 1])]);
      for (let i = 0; i + 1 < d.length; i += 2) details.set(d[i], d[i + 1]);
      const capOf = await caps(lines.map(([pid]) => pid));
      const args: (string | number)[] = [
        mergeId,
        MAX_CART_LINES,
        new Date().toISOString(),
        this.userTtlMs,
        Math.max(this.guestTtlMs * 2, MERGE_MARKER_MIN_TTL_MS),
      ];
      for (const [pid, qty] of lines) args.push(pid, qty, capOf.get(pid) ?? 0, details.get(pid) ?? '');
      const [, changed, capped] = (await this.run(MERGE_APPLY, [...this.keys(target), this.mergedMarkerKey(target)], args)) as number[];
      total.linesChanged += changed ?? 0;
      total.linesCapped += capped ?? 0;
      if (stopAfter === 'apply') return total;
      await this.run(MERGE_DROP, handoff, [mergeId]);
      if (state === 'frozen') break;
      // 'resume': an earlier merge's hand-off is done now; go round once more for the guest cart itself.
    }
    return total;
  }

  private handoffKeys(guest: CartRef): [string, string] {
    const id = cartKeyId(guest);
    return [
      this.keyBuilder.hashTagged(CART_NAMESPACE, id, 'handoff', 'qty'),
      this.keyBuilder.hashTagged(CART_NAMESPACE, id, 'handoff', 'details'),
    ];
  }

  private mergedMarkerKey(user: CartRef): string {
    return this.keyBuilder.hashTagged(CART_NAMESPACE, cartKeyId(user), 'merged');
  }

  private run(script: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    return this.guard(() => script.run(this.redis, keys, args), true);
  }

  /** `oneCommand`: `op` sends one command (see failFast). */
  private async guard<T>(op: () => Promise<T>, oneCommand = false): Promise<T> {
    try {
      return await failFast(this.redis, op, this.timeoutMs, oneCommand);
    } catch (error) {
      if (isUnavailabilityError(error) || refusesWrites(error)) throw new CartUnavailableError();
      throw error;
    }
  }
}

function refusesWrites(error: unknown): boolean {
  return error instanceof Error && WRITES_REFUSED.test(error.message);
}

function cartKeyId(cart: CartRef): string {
  return `${cart.kind === 'user' ? 'u' : 'g'}-${cart.ownerId}`;
}

function outcome([status, current, flat]: [number, number, string?]): WriteOutcome {
  if (status >= 0) return { ok: true, quantity: status, cart: parseFlatCart(flat ?? CART_HASH_SEPARATOR) };
  return { ok: false, reason: status === -1 ? 'stock' : status === -2 ? 'lines' : 'line-limit', current };
}

function parseSnapshot(json: string): LineSnapshot | null {
  try {
    const v = JSON.parse(json) as Partial<LineSnapshot>;
    return typeof v.name === 'string' && typeof v.priceCents === 'number'
      ? { name: v.name, priceCents: v.priceCents, addedAt: String(v.addedAt ?? '') }
      : null;
  } catch {
    return null;
  }
}

/** A cart as the scripts return it (flat() in cart-scripts.ts): both hashes in one string. */
export function parseFlatCart(flat: string): StoredCart {
  const at = flat.indexOf(CART_HASH_SEPARATOR);
  const q = flat.slice(0, at);
  const d = flat.slice(at + 1);
  return toStored(q ? q.split(CART_FIELD_SEPARATOR) : [], d ? d.split(CART_FIELD_SEPARATOR) : []);
}

function toStored(q: string[], d: string[]): StoredCart {
  const quantities = new Map<string, number>();
  for (let i = 0; i + 1 < q.length; i += 2) {
    const n = Number(q[i + 1]);
    if (n > 0) quantities.set(q[i], n);
  }
  const snapshots = new Map<string, LineSnapshot>();
  let updatedAt: string | null = null;
  for (let i = 0; i + 1 < d.length; i += 2) {
    if (d[i] === UPDATED_AT) updatedAt = d[i + 1]!;
    else {
      const snapshot = parseSnapshot(d[i + 1]);
      if (snapshot) snapshots.set(d[i], snapshot);
    }
  }
  return { quantities, snapshots, updatedAt };
}
