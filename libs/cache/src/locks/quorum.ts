/**
 * Waits for every call (each is bounded by the fail-fast deadline) and returns the successful
 * values, or rejects when fewer than `needed` succeeded. Waiting for all, not just the first
 * majority, lets the fencing token see the highest counter on any reachable node.
 */
export async function quorum<T>(calls: readonly Promise<T>[], needed: number): Promise<T[]> {
  const settled = await Promise.allSettled(calls);
  const values = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  if (values.length >= needed) return values;
  const errors = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
  throw new AggregateError(errors, `only ${values.length} of ${calls.length} nodes answered, ${needed} needed`);
}

/** Majority of n independent nodes. */
export const majority = (n: number): number => Math.floor(n / 2) + 1;
