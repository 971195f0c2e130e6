/**
 * The report's SQL: what the reporting views and the mirror's tables say, as rows straight from
 * Postgres (bigints and dates as the driver gives them). Turning them into the report is the
 * business of read-report.ts and freshness.ts; keeping the SQL here lets each be read alone.
 */
import type { Db } from '../db/database.js';

/** The account's row of `sync_status_view`, with the database clock's `now()` beside it. */
export interface StatusRow {
  db_now: Date;
  last_full_success_run_id: number | null;
  last_full_success_at: Date | null;
  last_location_success_run_id: number | null;
  last_location_success_location_id: bigint | null;
  last_location_success_at: Date | null;
  last_run_id: number | null;
  last_run_scope: string | null;
  last_run_location_id: bigint | null;
  last_run_status: string | null;
  last_run_started_at: Date | null;
  last_run_finished_at: Date | null;
  last_run_error: string | null;
}

export interface TotalsRow {
  locations: bigint;
  staff: bigint;
  services: bigint;
}

export interface LocationSummaryRow {
  id: bigint;
  name: string | null;
  staff: bigint;
  services: bigint;
}

export interface TopServiceRow {
  location_id: bigint;
  service_id: bigint;
  service_name: string | null;
  duration_minutes: number | null;
  staff: bigint;
}

export interface IdleStaffRow {
  location_id: bigint;
  staff_id: bigint;
  staff_name: string | null;
}

export interface ReportRows {
  status: StatusRow;
  totals: TotalsRow;
  /** Active locations, by name. */
  locations: LocationSummaryRow[];
  /** Per location, its three services offered by the most staff, in rank order. */
  topServices: TopServiceRow[];
  /** Per location, the staff who work there and offer no service there. */
  idleStaff: IdleStaffRow[];
}

/** Every query is of one account (`$1`). */
export async function queryReport(db: Db, account: string): Promise<ReportRows> {
  const [statusRows, totalsRows, locations, topServices, idleStaff] = await Promise.all([
    db.$queryRawUnsafe<StatusRow[]>(
      `SELECT now() AS db_now, last_full_success_run_id, last_full_success_at,
              last_location_success_run_id, last_location_success_location_id, last_location_success_at,
              last_run_id, last_run_scope, last_run_location_id, last_run_status, last_run_started_at,
              last_run_finished_at, last_run_error
         FROM (SELECT 1) one LEFT JOIN sync_status_view ON account = $1`,
      account,
    ),
    db.$queryRawUnsafe<TotalsRow[]>(
      `SELECT (SELECT count(*) FROM locations WHERE account = $1 AND deleted_at IS NULL) AS locations,
              (SELECT count(*) FROM staff WHERE account = $1 AND deleted_at IS NULL) AS staff,
              (SELECT count(*) FROM services WHERE account = $1 AND deleted_at IS NULL) AS services`,
      account,
    ),
    db.$queryRawUnsafe<LocationSummaryRow[]>(
      `SELECT l.id, l.name,
              (SELECT count(*) FROM location_staff_view v
                WHERE v.account = l.account AND v.location_id = l.id) AS staff,
              (SELECT count(*) FROM location_services_view v
                WHERE v.account = l.account AND v.location_id = l.id) AS services
         FROM locations l WHERE l.account = $1 AND l.deleted_at IS NULL
        ORDER BY l.name NULLS LAST, l.id`,
      account,
    ),
    db.$queryRawUnsafe<TopServiceRow[]>(
      `SELECT location_id, service_id, service_name, duration_minutes, staff FROM (
         SELECT location_id, service_id, service_name, duration_minutes, count(*) AS staff,
                row_number() OVER (PARTITION BY location_id
                                   ORDER BY count(*) DESC, service_name NULLS LAST, service_id) AS rank
           FROM staff_services_view WHERE account = $1
          GROUP BY location_id, service_id, service_name, duration_minutes) ranked
        WHERE rank <= 3 ORDER BY location_id, rank`,
      account,
    ),
    db.$queryRawUnsafe<IdleStaffRow[]>(
      `SELECT ls.location_id, ls.staff_id, ls.staff_name FROM location_staff_view ls
        WHERE ls.account = $1 AND NOT EXISTS (SELECT 1 FROM staff_services_view ss
                           WHERE ss.account = ls.account AND ss.location_id = ls.location_id
                             AND ss.staff_id = ls.staff_id)
        ORDER BY ls.location_id, ls.staff_name NULLS LAST, ls.staff_id`,
      account,
    ),
  ]);
  const status = statusRows[0];
  if (!status) throw new Error('sync_status_view returned no row');
  const totals = totalsRows[0] ?? { locations: 0n, staff: 0n, services: 0n };
  return { status, totals, locations, topServices, idleStaff };
}
