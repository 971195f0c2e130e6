/**
 * Shared by the bulk writers: rows are collapsed by key (the last one wins) and sorted by key
 * before they are written, so that two writers of overlapping batches lock rows in the same order
 * and cannot deadlock; each chunk is then one statement over `unnest`ed arrays rather than one
 * round trip per row.
 */

/** Rows per statement: big enough that 10,000 rows cost a couple of round trips, small enough to keep statements and locks short. */
export const BATCH_SIZE = 5_000;

export function collapseById<R extends { id: number }>(rows: readonly R[]): R[] {
  const byId = new Map<number, R>();
  for (const row of rows) byId.set(row.id, row);
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

export function chunks<T>(items: readonly T[], size = BATCH_SIZE): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Sorted, distinct ids. */
export function uniqueSorted(ids: readonly number[]): number[] {
  return [...new Set(ids)].sort((a, b) => a - b);
}
