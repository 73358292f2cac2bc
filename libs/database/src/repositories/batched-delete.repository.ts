import type { EntityManager } from 'typeorm';

/**
 * Runs a `DELETE … WHERE … IN (SELECT … LIMIT $n)` until it removes fewer than `batch` rows, so a
 * large purge never holds its locks for long. The statement's last parameter is the batch size.
 * Returns the rows removed.
 */
export async function deleteInBatches(manager: EntityManager, sql: string, params: readonly unknown[], batch: number): Promise<number> {
  let removed = 0;
  for (;;) {
    const [, count] = await manager.query<[unknown, number]>(sql, [...params, batch]);
    removed += count;
    if (count < batch) return removed;
  }
}
