/**
 * The reporting summary, read from the reporting views (so the report and a user's own SQL see
 * the same active rows): per location its staff and services, the services offered by the most
 * staff, the staff who offer nothing there; and the mirror's freshness, judged against the
 * schedule. The SQL is in report-queries.ts, the freshness rule in freshness.ts; this module puts
 * their answers together.
 */

import type { Db } from '../db/client.js';
import { type Freshness, judgeFreshness } from './freshness.js';
import { queryReport, type ReportRows } from './report-queries.js';

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

export interface Report {
  generatedAt: string;
  /** True when no sync has run and the mirror holds nothing. */
  empty: boolean;
  totals: { locations: number; staff: number; services: number };
  freshness: Freshness;
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

export async function readReport(db: Db, options: { schedule: string }): Promise<Report> {
  const rows = await queryReport(db);
  const totals = {
    locations: Number(rows.totals.locations),
    staff: Number(rows.totals.staff),
    services: Number(rows.totals.services),
  };
  const { freshness, empty, warnings, notes } = judgeFreshness(rows.status, {
    schedule: options.schedule,
    activeLocations: totals.locations,
  });
  return {
    generatedAt: rows.status.db_now.toISOString(),
    empty,
    totals,
    freshness,
    warnings,
    notes,
    locations: composeLocations(rows),
  };
}

/** Each location with its top services and its idle staff, which the queries return apart. */
function composeLocations(
  rows: Pick<ReportRows, 'locations' | 'topServices' | 'idleStaff'>,
): ReportLocation[] {
  const locations: ReportLocation[] = rows.locations.map((row) => ({
    id: Number(row.id),
    name: row.name,
    staff: Number(row.staff),
    services: Number(row.services),
    topServices: [],
    staffWithoutServices: [],
  }));
  const byId = new Map(locations.map((l) => [l.id, l]));
  for (const row of rows.topServices) {
    byId.get(Number(row.location_id))?.topServices.push({
      id: Number(row.service_id),
      name: row.service_name,
      durationMinutes: row.duration_minutes,
      staff: Number(row.staff),
    });
  }
  for (const row of rows.idleStaff) {
    byId.get(Number(row.location_id))?.staffWithoutServices.push({
      id: Number(row.staff_id),
      name: row.staff_name,
    });
  }
  return locations;
}
