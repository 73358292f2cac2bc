import calculateSlot from 'cluster-key-slot';
import { escapeKeyPart, hashTagged, KeyBuilder } from './key-builder.js';

describe('KeyBuilder', () => {
  const keys = new KeyBuilder({ prefix: 'app' });

  it('builds {prefix}:{namespace}:v{version}:parts', () => {
    expect(keys.versioned('products', 3, 'id', 42)).toBe('app:products:v3:id:42');
    expect(keys.raw('counters', 'orders')).toBe('app:counters:orders');
    expect(keys.entry('products', 1, ['a', 1])).toBe('app:products:v1:a:1');
    expect(keys.entry('products', 1, 'a')).toBe('app:products:v1:a');
  });

  it('escapes glob, separator and hash-tag characters so input cannot form a pattern or a segment', () => {
    const k = keys.versioned('products', 1, 'a*b?c[d]e\\f:g{h}i%j');
    expect(k).toBe('app:products:v1:a%2Ab%3Fc%5Bd%5De%5Cf%3Ag%7Bh%7Di%25j');
    expect(k.slice('app:products:v1:'.length)).not.toMatch(/[*?[\]\\:{}]/);
  });

  it('is injective: different part lists never produce the same key', () => {
    const a = keys.versioned('ns', 1, 'a:b');
    const b = keys.versioned('ns', 1, 'a', 'b');
    const c = keys.versioned('ns', 1, 'a%3Ab');
    expect(new Set([a, b, c]).size).toBe(3);
  });

  it('cannot reach another namespace or an internal key through parts', () => {
    const evil = keys.versioned('products', 1, '../users', ':_nsver');
    expect(evil.startsWith('app:products:v1:')).toBe(true);
    expect(evil).not.toBe(keys.namespaceVersionKey('products'));
    expect(keys.versioned('users', 1, 'x')).not.toBe(keys.versioned('products', 1, 'users:v1:x'));
  });

  it('validates namespaces and prefixes', () => {
    expect(() => keys.versioned('Products', 1, 'x')).toThrow(/namespace/);
    expect(() => keys.versioned('a:b', 1, 'x')).toThrow(/namespace/);
    expect(() => keys.versioned('a*', 1, 'x')).toThrow(/namespace/);
    expect(() => keys.tag('', 'x')).toThrow(/namespace/);
    expect(() => new KeyBuilder({ prefix: 'a:b' })).toThrow(/prefix/);
    expect(() => keys.versioned('ok', 1, {} as unknown as string)).toThrow(TypeError);
    expect(() => keys.versioned('ok', 1, Number.NaN)).toThrow(TypeError);
  });

  it('keeps internal keys apart from entries', () => {
    expect(keys.namespaceVersionKey('p')).toBe('app:p:_nsver');
    expect(keys.tag('p', 'cat:1')).toBe('app:p:_tag:cat%3A1');
    expect(keys.lockFor('p', keys.versioned('p', 1, 'x'))).toBe('app:p:_lock:{app:p:v1:x}');
  });

  it('builds SCAN patterns whose only wildcards are the ones it appends', () => {
    expect(keys.pattern('p')).toBe('app:p:v*:*');
    expect(keys.pattern('p', 2, 'user', 'a*')).toBe('app:p:v2:user:a%2A:*');
  });

  it('hashes over-long keys, keeping a readable head and the same output for the same input', () => {
    const kb = new KeyBuilder({ prefix: 'app', maxKeyLength: 120 });
    const long = 'x'.repeat(5_000);
    const k1 = kb.versioned('p', 1, long);
    const k2 = kb.versioned('p', 1, long + 'y');
    expect(k1.length).toBeLessThanOrEqual(120);
    expect(k1.startsWith('app:p:v1:xxx')).toBe(true);
    expect(k1).toBe(kb.versioned('p', 1, long));
    expect(k1).not.toBe(k2);
  });

  it('never cuts a hash tag when hashing a long key', () => {
    const kb = new KeyBuilder({ prefix: 'app', maxKeyLength: 100 });
    const k = kb.hashTagged('cart', 'abc', 'y'.repeat(400));
    expect(k.startsWith('app:{cart:abc}:')).toBe(true);
    expect(k.length).toBeLessThanOrEqual(100);
  });

  it("puts the load lock of an entry in the entry's cluster slot, also for escaped and over-long keys", () => {
    const kb = new KeyBuilder({ prefix: 'app', maxKeyLength: 100 });
    for (const entry of [kb.versioned('p', 1, 'x'), kb.versioned('p', 1, 'a{b}c', 'z:*'), kb.versioned('p', 1, 'y'.repeat(400))]) {
      expect(calculateSlot(`${kb.lockFor('p', entry)}:123:-`)).toBe(calculateSlot(entry));
    }
  });

  it('hashTagged puts {ns:id} braces with an escaped id', () => {
    expect(hashTagged('cart', 'u1', 'qty')).toBe('{cart:u1}:qty');
    expect(keys.hashTagged('cart', 'u1', 'qty')).toBe('app:{cart:u1}:qty');
    expect(keys.hashTagged('cart', 'a}b{c', 'x')).toBe('app:{cart:a%7Db%7Bc}:x');
  });

  it('escapeKeyPart leaves plain input untouched', () => {
    expect(escapeKeyPart('plain-Value_1.2')).toBe('plain-Value_1.2');
    expect(escapeKeyPart(12)).toBe('12');
  });

  it('namespaceOf reads the namespace back', () => {
    expect(keys.namespaceOf('app:products:v1:x')).toBe('products');
    expect(keys.namespaceOf('other:products:v1:x')).toBeUndefined();
  });

  it('a hashed long key cannot be forged from parts ending in "#<digest>"', () => {
    const kb = new KeyBuilder({ prefix: 'app', maxKeyLength: 100 });
    const hashed = kb.versioned('p', 1, 'z'.repeat(300));
    const [head, digest] = hashed.split(':#') as [string, string];
    const forged = kb.versioned('p', 1, head.slice('app:p:v1:'.length), '#' + digest);
    expect(forged).not.toBe(hashed);
    expect(escapeKeyPart('a#b')).toBe('a%23b');
  });

  it('lone surrogates name different keys (UTF-8 would turn each into U+FFFD)', () => {
    const a = keys.versioned('p', 1, 'x\uD800');
    const b = keys.versioned('p', 1, 'x\uDBFF');
    const c = keys.versioned('p', 1, 'x\uFFFD');
    // What Redis receives: the UTF-8 bytes.
    const wire = (k: string): string => Buffer.from(k, 'utf8').toString('hex');
    expect(new Set([wire(a), wire(b), wire(c)]).size).toBe(3);
    expect(escapeKeyPart('\uDC00x')).toBe('%uDC00x');
    // A valid pair stays as it is.
    expect(escapeKeyPart('\uD83D\uDE00')).toBe('\uD83D\uDE00');
    // Literal "%uD800" input cannot imitate the escape.
    expect(escapeKeyPart('%uD800')).toBe('%25uD800');
  });

  it('never cuts a %uXXXX escape when hashing a long key', () => {
    const kb = new KeyBuilder({ prefix: 'app', maxKeyLength: 100 });
    for (let pad = 0; pad < 12; pad++) {
      const k = kb.versioned('p', 1, 'a'.repeat(40 + pad) + '\uD800'.repeat(30));
      const head = k.slice(0, k.lastIndexOf(':#'));
      expect(head).not.toMatch(/%u?[0-9A-F]{0,3}$/);
    }
  });
});
