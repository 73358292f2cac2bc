import { randomUUID } from 'node:crypto';
import { entryHash, GENESIS, verifyChain, type ChainedEntry } from './history-chain.js';

type Content = Omit<ChainedEntry, 'prevHash' | 'hash'>;

/** A correctly chained history for one order: placed → paid → shipped → delivered (+ its head). */
function buildChain(steps: { from: string | null; to: string; actor: string }[] = DEFAULT_STEPS): {
  entries: ChainedEntry[];
  head: string;
} {
  const orderId = randomUUID();
  const entries: ChainedEntry[] = [];
  let prev = GENESIS;
  steps.forEach((s, i) => {
    const content: Content = {
      orderId,
      seq: i + 1,
      at: new Date(Date.UTC(2024, 10, 24, 10, 0, i, 123)).toISOString(),
      from: s.from,
      to: s.to,
      actor: s.actor,
    };
    const hash = entryHash(prev, content);
    entries.push({ ...content, prevHash: prev, hash });
    prev = hash;
  });
  return { entries, head: prev };
}

const customer = `customer:${randomUUID()}`;
const admin = `admin:${randomUUID()}`;
const DEFAULT_STEPS = [
  { from: null, to: 'placed', actor: customer },
  { from: 'placed', to: 'paid', actor: admin },
  { from: 'paid', to: 'shipped', actor: admin },
  { from: 'shipped', to: 'delivered', actor: admin },
];

const flip = (hex: string): string => (hex[0] === '0' ? '1' : '0') + hex.slice(1);

/** A different value for each field of an entry. */
const MUTATIONS: Record<keyof ChainedEntry, (e: ChainedEntry) => ChainedEntry> = {
  orderId: (e) => ({ ...e, orderId: randomUUID() }),
  seq: (e) => ({ ...e, seq: e.seq + 1 }),
  at: (e) => ({ ...e, at: new Date(Date.parse(e.at) + 1).toISOString() }),
  from: (e) => ({ ...e, from: e.from === null ? 'placed' : e.from === 'placed' ? null : 'placed' }),
  to: (e) => ({ ...e, to: e.to === 'cancelled' ? 'paid' : 'cancelled' }),
  actor: (e) => ({ ...e, actor: e.actor === 'system' ? admin : 'system' }),
  prevHash: (e) => ({ ...e, prevHash: flip(e.prevHash) }),
  hash: (e) => ({ ...e, hash: flip(e.hash) }),
};

describe('history chain', () => {
  it('a valid chain verifies: valid, entry count, brokenAt null', () => {
    const { entries, head } = buildChain();
    expect(verifyChain(entries, head)).toEqual({ valid: true, entries: 4, brokenAt: null });
  });

  it('a single-entry chain verifies; the first entry links to GENESIS', () => {
    const { entries, head } = buildChain(DEFAULT_STEPS.slice(0, 1));
    expect(entries[0].prevHash).toBe(GENESIS);
    expect(verifyChain(entries, head)).toEqual({ valid: true, entries: 1, brokenAt: null });
  });

  it('entryHash depends on every content field and on the previous hash', () => {
    const { entries } = buildChain();
    const e = entries[1];
    const base = entryHash(e.prevHash, e);
    expect(base).toBe(e.hash);
    for (const field of ['orderId', 'seq', 'at', 'from', 'to', 'actor'] as const) {
      expect([field, entryHash(e.prevHash, MUTATIONS[field](e))]).not.toEqual([field, base]);
    }
    expect(entryHash(flip(e.prevHash), e)).not.toBe(base);
  });

  it('fields are length-prefixed: moving characters between adjacent fields changes the hash', () => {
    const { entries } = buildChain();
    const e = entries[1];
    // "paid" + "admin:x" vs "paidadmin:" + "x" would collide without separators/length prefixes
    const a = entryHash(GENESIS, { ...e, to: 'paid', actor: 'admin:x' });
    const b = entryHash(GENESIS, { ...e, to: 'paida', actor: 'dmin:x' });
    expect(a).not.toBe(b);
  });

  describe.each(Object.keys(MUTATIONS) as (keyof ChainedEntry)[])('changing %s', (field) => {
    it.each([0, 1, 2, 3])('of entry %i → brokenAt that index', (index) => {
      const { entries, head } = buildChain();
      const tampered = entries.map((e, i) => (i === index ? MUTATIONS[field](e) : e));
      expect(tampered[index]).not.toEqual(entries[index]);
      expect(verifyChain(tampered, head)).toEqual({ valid: false, entries: 4, brokenAt: index });
    });
  });

  it('a changed entry whose own hash was recomputed is still found (the next link or the head no longer matches)', () => {
    for (let index = 0; index < 4; index++) {
      const { entries, head } = buildChain();
      const changed = { ...entries[index], actor: 'system' };
      const tampered = entries.map((e, i) => (i === index ? { ...changed, hash: entryHash(changed.prevHash, changed) } : e));
      const result = verifyChain(tampered, head);
      expect(result.valid).toBe(false);
      expect(result.brokenAt).toBe(index + 1);
    }
  });

  it.each([1, 2])('removing middle entry %i → brokenAt at the gap', (index) => {
    const { entries, head } = buildChain();
    const removed = entries.filter((_, i) => i !== index);
    expect(verifyChain(removed, head)).toEqual({ valid: false, entries: 3, brokenAt: index });
  });

  it('removing the first entry → brokenAt 0', () => {
    const { entries, head } = buildChain();
    expect(verifyChain(entries.slice(1), head)).toEqual({ valid: false, entries: 3, brokenAt: 0 });
  });

  it('removing the last entry (head unchanged) → brokenAt = entries.length (the remaining count)', () => {
    const { entries, head } = buildChain();
    const truncated = entries.slice(0, -1);
    expect(verifyChain(truncated, head)).toEqual({ valid: false, entries: 3, brokenAt: 3 });
  });

  it('removing every entry → brokenAt 0', () => {
    const { head } = buildChain();
    expect(verifyChain([], head)).toEqual({ valid: false, entries: 0, brokenAt: 0 });
  });

  it('removing the last entry and renumbering nothing else, even with the seq gap closed, is found', () => {
    const { entries, head } = buildChain();
    // drop entry 1 and renumber the rest so seq is contiguous again: the link is still broken
    const renumbered = [entries[0], ...entries.slice(2).map((e, i) => ({ ...e, seq: i + 2 }))];
    expect(verifyChain(renumbered, head)).toEqual({ valid: false, entries: 3, brokenAt: 1 });
  });

  it.each([
    [0, 1],
    [1, 2],
    [2, 3],
    [0, 3],
  ])('swapping entries %i and %i → brokenAt the first swapped index', (a, b) => {
    const { entries, head } = buildChain();
    const swapped = [...entries];
    [swapped[a], swapped[b]] = [swapped[b], swapped[a]];
    expect(verifyChain(swapped, head)).toEqual({ valid: false, entries: 4, brokenAt: a });
  });

  it('reversing the whole chain is found at index 0', () => {
    const { entries, head } = buildChain();
    expect(verifyChain([...entries].reverse(), head)).toEqual({ valid: false, entries: 4, brokenAt: 0 });
  });

  it('a chain checked against another order’s head is not valid', () => {
    const a = buildChain();
    const b = buildChain();
    expect(verifyChain(a.entries, b.head)).toEqual({ valid: false, entries: 4, brokenAt: 4 });
  });

  it('an entry appended behind the API’s back (head not moved) is found', () => {
    const { entries, head } = buildChain(DEFAULT_STEPS.slice(0, 2));
    const last = entries[entries.length - 1];
    const extra: Content = { orderId: last.orderId, seq: 3, at: new Date().toISOString(), from: 'paid', to: 'cancelled', actor: 'system' };
    const appended = [...entries, { ...extra, prevHash: last.hash, hash: entryHash(last.hash, extra) }];
    expect(verifyChain(appended, head).valid).toBe(false);
  });
});
