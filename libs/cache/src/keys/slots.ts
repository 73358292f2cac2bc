import calculateSlot from 'cluster-key-slot';

/** Indexes of `keys` grouped by cluster hash slot: a cluster refuses a multi-key command across slots. */
export function indexesBySlot(keys: readonly string[]): Map<number, number[]> {
  const bySlot = new Map<number, number[]>();
  keys.forEach((k, i) => {
    const slot = calculateSlot(k);
    const at = bySlot.get(slot);
    if (at) at.push(i);
    else bySlot.set(slot, [i]);
  });
  return bySlot;
}
