/**
 * The reporting summary, read from the reporting views (so the report and a user's own SQL see
 * the same active rows): per location its staff and services, the services offered by the most
 * staff, the staff who offer nothing there; and the mirror's freshness, judged against the
 * schedule. Ages are measured on the database clock, which also stamps `sync_runs`.
 */

import { scheduleProblem } from '../config.js';
import type { Db } from '../db/client.js';
import { formatDuration, scheduleIntervalMs } from './schedule-interval.js';

export interface ReportService {
  id: number;
  name: string | null;
  durationMinutes: number | null;
  /** How many staff members offer it at this location. */
  staff: number;
}

export interface ReportLocation {
  id: number;
  name: string | null;
  staff: number;
  services: number;
  /** Up to three services, those offered by the most staff first. */
  topServices: ReportService[];
  /** Staff members who work here but offer no (active) service here. */
  staffWithoutServices: Array<{ id: number; name: string | null }>;
}

export interface ReportRun {
  id: number;
  scope: string;
  locationId: number | null;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
}

export interface Report {
  generatedAt: string;
  /** True when no sync has run and the mirror holds nothing. */
  empty: boolean;
  totals: { locations: number; staff: number; services: number };
  freshness: {
    lastSuccessfulFullSync: { runId: number; finishedAt: string; ageSeconds: number } | null;
    /** A location sync refreshes one location only: it never makes the mirror fresh. */
    lastSuccessfulLocationSync: {
      runId: number;
      locationId: number | null;
      finishedAt: string;
      ageSeconds: number;
    } | null;
    lastRun: ReportRun | null;
    schedule: string;
    /** null when SYNC_SCHEDULE is not a usable cron pattern: then freshness is not judged. */
    scheduleIntervalSeconds: number | null;
    /** No successful full sync, or the last one is older than two schedule intervals; null: unknown. */
    stale: boolean | null;
  };
  warnings: string[];
  /** Informational lines (a sync running right now). */
  notes: string[];
  locations: ReportLocation[];
}

/** The reporting views come with `migrate`; without them there is nothing to report on. */
export async function hasReportingViews(db: Db): Promise<boolean> {
  const rows = await db.$queryRawUnsafe<Array<{ ok: boolean }>>(
    "SELECT to_regclass('sync_status_view') IS NOT NULL AND to_regclass('staff_services_view') IS NOT NULL AS ok",
  );
  return rows[0]?.ok === true;
}

interface StatusRow {
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

export async function readReport(db: Db, options: { schedule: string }): Promise<Report> {
  const [statusRows, totalsRows, locationRows, topRows, idleRows] = await Promise.all([
    db.$queryRawUnsafe<StatusRow[]>(
      `SELECT now() AS db_now, last_full_success_run_id, last_full_success_at,
              last_location_success_run_id, last_location_success_location_id, last_location_success_at,
              last_run_id, last_run_scope, last_run_location_id, last_run_status, last_run_started_at,
              last_run_finished_at, last_run_error
         FROM sync_status_view`,
    ),
    db.$queryRawUnsafe<Array<{ locations: bigint; staff: bigint; services: bigint }>>(
      `SELECT (SELECT count(*) FROM locations WHERE deleted_at IS NULL) AS locations,
              (SELECT count(*) FROM staff WHERE deleted_at IS NULL) AS staff,
              (SELECT count(*) FROM services WHERE deleted_at IS NULL) AS services`,
    ),
    db.$queryRawUnsafe<Array<{ id: bigint; name: string | null; staff: bigint; services: bigint }>>(
      `SELECT l.id, l.name,
              (SELECT count(*) FROM location_staff_view v WHERE v.location_id = l.id) AS staff,
              (SELECT count(*) FROM location_services_view v WHERE v.location_id = l.id) AS services
         FROM locations l WHERE l.deleted_at IS NULL
        ORDER BY l.name NULLS LAST, l.id`,
    ),
    db.$queryRawUnsafe<
      Array<{
        location_id: bigint;
        service_id: bigint;
        service_name: string | null;
        duration_minutes: number | null;
        staff: bigint;
      }>
    >(
      `SELECT location_id, service_id, service_name, duration_minutes, staff FROM (
         SELECT location_id, service_id, service_name, duration_minutes, count(*) AS staff,
                row_number() OVER (PARTITION BY location_id
                                   ORDER BY count(*) DESC, service_name NULLS LAST, service_id) AS rank
           FROM staff_services_view
          GROUP BY location_id, service_id, service_name, duration_minutes) ranked
        WHERE rank <= 3 ORDER BY location_id, rank`,
    ),
    db.$queryRawUnsafe<Array<{ location_id: bigint; staff_id: bigint; staff_name: string | null }>>(
      `SELECT ls.location_id, ls.staff_id, ls.staff_name FROM location_staff_view ls
        WHERE NOT EXISTS (SELECT 1 FROM staff_services_view ss
                           WHERE ss.location_id = ls.location_id AND ss.staff_id = ls.staff_id)
        ORDER BY ls.location_id, ls.staff_name NULLS LAST, ls.staff_id`,
    ),
  ]);
  const status = statusRows[0];
  if (!status) throw new Error('sync_status_view returned no row');
  const totals = totalsRows[0] ?? { locations: 0n, staff: 0n, services: 0n };

  const locations: ReportLocation[] = locationRows.map((row) => ({
    id: Number(row.id),
    name: row.name,
    staff: Number(row.staff),
    services: Number(row.services),
    topServices: [],
    staffWithoutServices: [],
  }));
  const byId = new Map(locations.map((l) => [l.id, l]));
  for (const row of topRows) {
    byId.get(Number(row.location_id))?.topServices.push({
      id: Number(row.service_id),
      name: row.service_name,
      durationMinutes: row.duration_minutes,
      staff: Number(row.staff),
    });
  }
  for (const row of idleRows) {
    byId.get(Number(row.location_id))?.staffWithoutServices.push({
      id: Number(row.staff_id),
      name: row.staff_name,
    });
  }

  const now = status.db_now;
  const ageSeconds = (at: Date) => Math.max(0, Math.round((now.getTime() - at.getTime()) / 1000));
  const lastSuccess =
    status.last_full_success_run_id !== null && status.last_full_success_at !== null
      ? {
          runId: status.last_full_success_run_id,
          finishedAt: status.last_full_success_at.toISOString(),
          ageSeconds: ageSeconds(status.last_full_success_at),
        }
      : null;
  const lastLocationSuccess =
    status.last_location_success_run_id !== null && status.last_location_success_at !== null
      ? {
          runId: status.last_location_success_run_id,
          locationId:
            status.last_location_success_location_id === null
              ? null
              : Number(status.last_location_success_location_id),
          finishedAt: status.last_location_success_at.toISOString(),
          ageSeconds: ageSeconds(status.last_location_success_at),
        }
      : null;
  const lastRun: ReportRun | null =
    status.last_run_id !== null && status.last_run_started_at !== null
      ? {
          id: status.last_run_id,
          scope: status.last_run_scope ?? 'full',
          locationId: status.last_run_location_id === null ? null : Number(status.last_run_location_id),
          status: status.last_run_status ?? 'unknown',
          startedAt: status.last_run_started_at.toISOString(),
          finishedAt: status.last_run_finished_at?.toISOString() ?? null,
          error: status.last_run_error,
        }
      : null;
  // `report` schedules nothing: a bad SYNC_SCHEDULE only leaves the mirror's age unjudged.
  const scheduleIssue = scheduleProblem(options.schedule);
  const intervalMs =
    scheduleIssue === undefined
      ? scheduleIntervalMs(options.schedule, status.last_full_success_at ?? now)
      : undefined;
  const stale =
    lastSuccess === null
      ? true
      : intervalMs === undefined
        ? null
        : lastSuccess.ageSeconds * 1000 > 2 * intervalMs;
  const empty = lastRun === null && Number(totals.locations) === 0;

  const warnings: string[] = [];
  const notes: string[] = [];
  if (empty) {
    warnings.push('no sync has run yet: run `timetap-sync sync`');
  } else if (lastSuccess === null) {
    warnings.push('no full sync has succeeded yet: the mirror may be incomplete; run `timetap-sync sync`');
  } else if (stale === null) {
    warnings.push(`SYNC_SCHEDULE ${scheduleIssue}: the mirror's freshness is not judged`);
  } else if (stale && intervalMs !== undefined) {
    warnings.push(
      `the mirror is stale: the last successful full sync (run #${lastSuccess.runId}) finished ` +
        `${formatDuration(lastSuccess.ageSeconds * 1000)} ago, more than two schedule intervals ` +
        `(2 × ${formatDuration(intervalMs)}, SYNC_SCHEDULE "${options.schedule}"); ` +
        'is the worker running? see `timetap-sync status`',
    );
  }
  if (lastRun && lastRun.status === 'running') {
    notes.push(
      `a sync is running now (run #${lastRun.id}, ${describeScope(lastRun)}, started ${lastRun.startedAt})`,
    );
  } else if (lastRun && lastRun.status !== 'succeeded') {
    const why = lastRun.error ? `: ${lastRun.error.split('\n')[0]}` : '';
    warnings.push(
      `the last sync run (#${lastRun.id}, ${describeScope(lastRun)}) finished as ${lastRun.status}${why}`,
    );
  }

  return {
    generatedAt: now.toISOString(),
    empty,
    totals: {
      locations: Number(totals.locations),
      staff: Number(totals.staff),
      services: Number(totals.services),
    },
    freshness: {
      lastSuccessfulFullSync: lastSuccess,
      lastSuccessfulLocationSync: lastLocationSuccess,
      lastRun,
      schedule: options.schedule,
      scheduleIntervalSeconds: intervalMs === undefined ? null : Math.round(intervalMs / 1000),
      stale,
    },
    warnings,
    notes,
    locations,
  };
}

function describeScope(run: ReportRun): string {
  return run.scope === 'location' ? `location ${run.locationId}` : 'full';
}
