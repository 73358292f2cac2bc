import { createHash, createHmac } from 'node:crypto';

const BLOCK = 64;
/** Longest message (bytes) whose padding still fits its one block: 64 - 1 (0x80) - 8 (length). */
const ONE_BLOCK_MAX = BLOCK - 9;

// FIPS 180-4 §4.2.2 and §5.3.3.
const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be,
  0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa,
  0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
  0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
  0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
  0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const INITIAL = Int32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);

/**
 * HMAC-SHA256 (RFC 2104) of one fixed key. The key's inner and outer hash states (after its
 * padded block) are computed once; a message of up to 55 ASCII characters (a cart id) then costs
 * two SHA-256 block compressions here, in JavaScript, with no allocation but the result. Through
 * node:crypto the same MAC creates and frees native hash contexts on every call, which under load
 * measured several times slower than these two blocks. Longer or non-ASCII messages go to
 * createHmac. Equal to createHmac('sha256', key) for every message (see the spec).
 */
export class Sha256Mac {
  private readonly key: Buffer;
  private readonly inner: Int32Array;
  private readonly outer: Int32Array;
  private readonly state = new Int32Array(8);
  private readonly words = new Int32Array(64);

  constructor(key: Buffer) {
    this.key = Buffer.from(key);
    const block = Buffer.alloc(BLOCK);
    (key.length > BLOCK ? createHash('sha256').update(key).digest() : key).copy(block);
    this.inner = this.stateAfter(block.map((b) => b ^ 0x36));
    this.outer = this.stateAfter(block.map((b) => b ^ 0x5c));
  }

  digest(data: string): Buffer {
    const n = data.length;
    if (n > ONE_BLOCK_MAX) return this.general(data);
    const w = this.words;
    w.fill(0, 0, 16);
    for (let i = 0; i < n; i++) {
      const c = data.charCodeAt(i);
      if (c > 0x7f) return this.general(data);
      w[i >> 2] |= c << (24 - 8 * (i & 3));
    }
    // Inner hash: the key's inner block, then the message, 0x80 and its length in bits.
    w[n >> 2] |= 0x80 << (24 - 8 * (n & 3));
    w[15] = (BLOCK + n) * 8;
    const s = this.state;
    s.set(this.inner);
    compress(s, w);
    // Outer hash: the key's outer block, then the 32-byte inner hash, padded the same way.
    for (let i = 0; i < 8; i++) w[i] = s[i];
    w[8] = 0x80000000;
    w.fill(0, 9, 15);
    w[15] = (BLOCK + 32) * 8;
    s.set(this.outer);
    compress(s, w);
    const out = Buffer.allocUnsafe(32);
    for (let i = 0; i < 8; i++) out.writeInt32BE(s[i], i * 4);
    return out;
  }

  /** Any message, through node:crypto. */
  private general(data: string): Buffer {
    return createHmac('sha256', this.key).update(data).digest();
  }

  /** The hash state after one 64-byte block from the initial state. */
  private stateAfter(block: Uint8Array): Int32Array {
    const s = Int32Array.from(INITIAL);
    for (let i = 0; i < 16; i++)
      this.words[i] = (block[4 * i] << 24) | (block[4 * i + 1] << 16) | (block[4 * i + 2] << 8) | block[4 * i + 3];
    compress(s, this.words);
    return s;
  }
}

/** One SHA-256 compression of the block in w[0..15] into the state s (w[16..63] is the schedule). */
function compress(s: Int32Array, w: Int32Array): void {
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15];
    const y = w[i - 2];
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
  }
  let a = s[0];
  let b = s[1];
  let c = s[2];
  let d = s[3];
  let e = s[4];
  let f = s[5];
  let g = s[6];
  let h = s[7];
  for (let i = 0; i < 64; i++) {
    const t1 =
      (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
    const t2 = ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  s[0] = (s[0] + a) | 0;
  s[1] = (s[1] + b) | 0;
  s[2] = (s[2] + c) | 0;
  s[3] = (s[3] + d) | 0;
  s[4] = (s[4] + e) | 0;
  s[5] = (s[5] + f) | 0;
  s[6] = (s[6] + g) | 0;
  s[7] = (s[7] + h) | 0;
}
