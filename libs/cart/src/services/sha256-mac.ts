import { createHash, type Hash } from 'node:crypto';

const BLOCK = 64;

/**
 * HMAC-SHA256 (RFC 2104) of one fixed key, from the key's inner and outer hash states computed
 * once: the same MAC as createHmac('sha256', key), without createHmac's per-call key setup, which
 * was most of what issuing a guest cart token cost under load.
 */
export class Sha256Mac {
  private readonly inner: Hash;
  private readonly outer: Hash;

  constructor(key: Buffer) {
    const block = Buffer.alloc(BLOCK);
    (key.length > BLOCK ? createHash('sha256').update(key).digest() : key).copy(block);
    this.inner = createHash('sha256').update(block.map((b) => b ^ 0x36));
    this.outer = createHash('sha256').update(block.map((b) => b ^ 0x5c));
  }

  digest(data: string): Buffer {
    return this.outer.copy().update(this.inner.copy().update(data).digest()).digest();
  }
}
