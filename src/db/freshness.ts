/**
 * Is the mirror fresh and complete? `mirror_freshness_view`, per account and scope, as the
 * worker's metrics and its status page read it (the view says what each column means).
 */
import type { Db } from './database.js';

/** A range of dates of appointments a scope reads, and whether every date of it was read. */
export interface AppointmentRangeState {
  startDate: string;
  endDate: string;
  runId: number;
  complete: boolean;
}

export interface ScopeFreshness {
  account: string;
  scope: string;
  lastCompleteRunId: number | null;
  lastCompleteAt: Date | null;
  /** Since the last complete run, or since the scope's first run when none completed. */
  ageSeconds: number;
  lastRun: {
    id: number;
    status: string;
    startedAt: Date;
    finishedAt: Date;
    /** Why it was not a success, one reason a line; null for a success. */
    reasons: string | null;
  } | null;
  running: { runId: number; since: Date } | null;
  unsuccessfulInARow: number;
  /** Rows the last finished run marked deleted. */
  tombstonedRows: number | null;
  /** Rows the mass-delete guard held back in the last finished run; null: not recorded by that run. */
  guardHeldRows: number | null;
  appointmentRanges: AppointmentRangeState[] | null;
  /** Every range complete; null when the scope reads no appointments. */
  appointmentsComplete: boolean | null;
}

interface ViewRow {
  account: string;
  scope: string;
  last_complete_run_id: number | null;
  last_complete_at: Date | null;
  age_seconds: bigint;
  last_run_id: number | null;
  last_run_status: string | null;
  last_run_started_at: Date | null;
  last_run_finished_at: Date | null;
  last_run_reasons: string | null;
  running_run_id: number | null;
  running_since: Date | null;
  unsuccessful_in_a_row: number;
  tombstoned_rows: bigint | null;
  guard_held_rows: bigint | null;
  appointment_ranges: AppointmentRangeState[] | null;
  appointments_complete: boolean | null;
}

export async function readFreshness(db: Db): Promise<ScopeFreshness[]> {
  const rows = await db.$queryRaw<ViewRow[]>`
    SELECT account, scope, last_complete_run_id, last_complete_at, age_seconds, last_run_id,
           last_run_status, last_run_started_at, last_run_finished_at, last_run_reasons,
           running_run_id, running_since, unsuccessful_in_a_row, tombstoned_rows, guard_held_rows,
           appointment_ranges, appointments_complete
    FROM mirror_freshness_view
    ORDER BY account, CASE scope WHEN 'full' THEN 0 WHEN 'backfill' THEN 1 ELSE 2 END, scope`;
  return rows.map(fromRow);
}

function fromRow(row: ViewRow): ScopeFreshness {
  const count = (value: bigint | null) => (value === null ? null : Number(value));
  return {
    account: row.account,
    scope: row.scope,
    lastCompleteRunId: row.last_complete_run_id,
    lastCompleteAt: row.last_complete_at,
    ageSeconds: Number(row.age_seconds),
    lastRun:
      row.last_run_id === null || row.last_run_started_at === null || row.last_run_finished_at === null
        ? null
        : {
            id: row.last_run_id,
            status: row.last_run_status ?? 'unknown',
            startedAt: row.last_run_started_at,
            finishedAt: row.last_run_finished_at,
            reasons: row.last_run_reasons,
          },
    running:
      row.running_run_id === null || row.running_since === null
        ? null
        : { runId: row.running_run_id, since: row.running_since },
    unsuccessfulInARow: row.unsuccessful_in_a_row,
    tombstonedRows: count(row.tombstoned_rows),
    guardHeldRows: count(row.guard_held_rows),
    appointmentRanges: row.appointment_ranges,
    appointmentsComplete: row.appointments_complete,
  };
}
