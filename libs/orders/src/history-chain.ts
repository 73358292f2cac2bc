import { createHash } from 'node:crypto';
import type { HistoryVerification } from './orders.types.js';

/** The hash the first entry of every order chains from. */
export const GENESIS = '0'.repeat(64);

/** A history entry as stored, with the hashes that chain it. */
export interface ChainedEntry {
  orderId: string;
  seq: number;
  at: string;
  from: string | null;
  to: string;
  actor: string;
  prevHash: string;
  hash: string;
}

/** SHA-256 over the previous entry's hash and this entry's content, fields length-prefixed. */
export function entryHash(prevHash: string, e: Omit<ChainedEntry, 'prevHash' | 'hash'>): string {
  const fields = [prevHash, e.orderId, String(e.seq), e.at, e.from ?? '', e.to, e.actor];
  const h = createHash('sha256');
  for (const f of fields) h.update(`${f.length}:${f}|`);
  return h.digest('hex');
}

/**
 * Checks a whole chain (entries in seq order) against the order's recorded head: an entry whose
 * content or link was changed, a removed entry (a gap in seq, a broken link, or a head that no
 * longer matches the last entry) and a reordered one are all found. `brokenAt` is the index of the
 * first bad entry (entries.length when only the tail is missing).
 */
export function verifyChain(entries: readonly ChainedEntry[], head: string): HistoryVerification {
  let prev = GENESIS;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (e.seq !== i + 1 || e.prevHash !== prev || entryHash(prev, e) !== e.hash)
      return { valid: false, entries: entries.length, brokenAt: i };
    prev = e.hash;
  }
  if (prev !== head) return { valid: false, entries: entries.length, brokenAt: entries.length };
  return { valid: true, entries: entries.length, brokenAt: null };
}
