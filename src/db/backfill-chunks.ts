/**
 * The chunks of appointment history a backfill has read completely (`backfill_chunks`), so that a
 * backfill asked again, or resumed by another worker, reads only what is left.
 */
import type { DateRange } from '../dates.js';
import type { Db } from './database.js';

/**
 * The start dates of those chunks that a completed chunk covers (a chunk clipped to the edge of
 * one range is covered by the whole chunk of another; dates.ts aligns them).
 */
export async function completedChunks(
  db: Db,
  account: string,
  chunks: readonly DateRange[],
): Promise<Set<string>> {
  if (chunks.length === 0) return new Set();
  const rows = await db.$queryRaw<Array<{ start_date: string }>>`
    SELECT c.start_date FROM backfill_chunks c
    JOIN unnest(${chunks.map((c) => c.startDate)}::text[], ${chunks.map((c) => c.endDate)}::text[]) AS w(s, e)
      ON c.start_date <= w.s AND c.end_date >= w.e
    WHERE c.account = ${account}`;
  return new Set(rows.map((r) => r.start_date));
}

export async function recordCompletedChunk(
  db: Db,
  account: string,
  chunk: DateRange,
  read: { runId: number; pages: number; records: number },
): Promise<void> {
  await db.$executeRaw`
    INSERT INTO backfill_chunks (account, start_date, end_date, run_id, pages, records)
    VALUES (${account}, ${chunk.startDate}, ${chunk.endDate}, ${read.runId}::int, ${read.pages}::int,
      ${read.records}::int)
    ON CONFLICT (account, start_date, end_date) DO UPDATE
      SET run_id = excluded.run_id, pages = excluded.pages, records = excluded.records, completed_at = now()`;
}

/** Forgets the completed chunks that touch a range (`backfill --again`), so that all of it is read. */
export async function forgetChunks(db: Db, account: string, range: DateRange): Promise<number> {
  // `YYYY-MM-DD` strings order as the dates do.
  return db.$executeRaw`
    DELETE FROM backfill_chunks
    WHERE account = ${account} AND start_date <= ${range.endDate} AND end_date >= ${range.startDate}`;
}

/** What the backfills have read so far: how many chunks, from and to which date (`status`). */
export async function backfilledHistory(
  db: Db,
  account: string,
): Promise<{ chunks: number; from: string | null; to: string | null; records: number }> {
  const [row] = await db.$queryRaw<
    Array<{ chunks: number; from: string | null; to: string | null; records: number }>
  >`
    SELECT count(*)::int AS chunks, min(start_date) AS "from", max(end_date) AS "to",
           coalesce(sum(records), 0)::int AS records
    FROM backfill_chunks WHERE account = ${account}`;
  return row ?? { chunks: 0, from: null, to: null, records: 0 };
}
