/**
 * What history mode adds to the report (appointment_history's views): over the last 30 days, the
 * reschedules (versions whose start date or time differs from the version before) and the
 * cancellations (versions in which the status became CANCELLED), and the median of how many hours
 * before its start a cancellation came. Counted by when the mirror read the change, which is as
 * close to when it happened as the mirror can know. All zero (and no median) without history.
 */
import type { Db } from '../db/database.js';

export interface ChangeReport {
  /** The first day counted (UTC), 30 days before today. */
  from: string;
  reschedules: number;
  cancellations: number;
  /** Null when no cancellation of the period has a known start time. */
  medianCancellationLeadHours: number | null;
}

const SINCE = "((now() AT TIME ZONE 'UTC')::date - 30)::timestamp AT TIME ZONE 'UTC'";

/** The account's changes (`$1`). */
export async function readChangeReport(db: Db, account: string): Promise<ChangeReport> {
  const rows = await db.$queryRawUnsafe<
    Array<{ from: string; reschedules: number; cancellations: number; median: number | null }>
  >(
    `SELECT to_char(${SINCE} AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS "from",
       (SELECT count(DISTINCT (appointment_id, changed_at))::int FROM appointment_changes_view
         WHERE account = $1 AND column_name IN ('start_date', 'start_time') AND changed_at >= ${SINCE})
         AS reschedules,
       (SELECT count(*)::int FROM cancellation_lead_time_view WHERE account = $1 AND cancelled_at >= ${SINCE})
         AS cancellations,
       (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY lead_time_hours)::float8
          FROM cancellation_lead_time_view
         WHERE account = $1 AND cancelled_at >= ${SINCE} AND lead_time_hours IS NOT NULL) AS median`,
    account,
  );
  const row = rows[0];
  if (!row) throw new Error('the database answered no row for the change report');
  return {
    from: row.from,
    reschedules: row.reschedules,
    cancellations: row.cancellations,
    medianCancellationLeadHours: row.median,
  };
}
