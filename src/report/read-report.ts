/**
 * The reporting summary, read from the reporting views (so the report and a user's own SQL see
 * the same active rows): per location its staff and services, the services offered by the most
 * staff, the staff who offer nothing there, the appointments of the next 7 days and the last 30
 * days' rates; the busiest staff; and the mirror's freshness, judged against the schedule. The
 * SQL is in report-queries.ts and appointment-report.ts, the freshness rule in freshness.ts;
 * this module puts their answers together.
 */

import type { Db } from '../db/database.js';
import {
  type AppointmentReport,
  type BusyStaff,
  type PastMonth,
  readAppointmentReport,
  type UpcomingWeek,
} from './appointment-report.js';
import { type ChangeReport, readChangeReport } from './change-report.js';
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
  /** Appointments booked here from today through the next 6 days. */
  next7Days: UpcomingWeek;
  /** The last 30 days before today: how many appointments, the cancellation and no-show rates. */
  last30Days: PastMonth;
}

export interface Report {
  /** The account reported on. */
  account: string;
  generatedAt: string;
  /** True when no sync has run and the mirror holds nothing. */
  empty: boolean;
  totals: { locations: number; staff: number; services: number };
  freshness: Freshness;
  warnings: string[];
  /** Informational lines (a sync running right now). */
  notes: string[];
  locations: ReportLocation[];
  /** The same for the whole account, and its busiest staff of the last 30 days (by minutes booked). */
  appointments: {
    mirrored: number;
    next7Days: UpcomingWeek;
    last30Days: PastMonth;
    busiestStaff: BusyStaff[];
    /** From appointment_history: reschedules and cancellations of the last 30 days. */
    changes: ChangeReport;
  };
}

/** The reporting views come with `migrate`; without them there is nothing to report on. */
export async function hasReportingViews(db: Db): Promise<boolean> {
  const rows = await db.$queryRawUnsafe<Array<{ ok: boolean }>>(
    "SELECT to_regclass('sync_status_view') IS NOT NULL AND to_regclass('staff_services_view') IS NOT NULL AS ok",
  );
  return rows[0]?.ok === true;
}

/** The report of one account; `schedule` is the account's own. */
export async function readReport(db: Db, options: { account: string; schedule: string }): Promise<Report> {
  const { account } = options;
  const [rows, appointments, changes] = await Promise.all([
    queryReport(db, account),
    readAppointmentReport(db, account),
    readChangeReport(db, account),
  ]);
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
    account,
    generatedAt: rows.status.db_now.toISOString(),
    empty,
    totals,
    freshness,
    warnings,
    notes,
    locations: composeLocations(rows, appointments),
    appointments: {
      mirrored: appointments.mirrored,
      next7Days: appointments.next7Days,
      last30Days: appointments.last30Days,
      busiestStaff: appointments.busiestStaff,
      changes,
    },
  };
}

/** Each location with its top services, its idle staff and its appointments, which the queries return apart. */
function composeLocations(
  rows: Pick<ReportRows, 'locations' | 'topServices' | 'idleStaff'>,
  appointments: AppointmentReport,
): ReportLocation[] {
  const locations: ReportLocation[] = rows.locations.map((row) => {
    const id = Number(row.id);
    const booked = appointments.perLocation.get(id);
    return {
      id,
      name: row.name,
      staff: Number(row.staff),
      services: Number(row.services),
      topServices: [],
      staffWithoutServices: [],
      next7Days: booked?.next7Days ?? { ...appointments.next7Days, booked: 0, bookedMinutes: 0 },
      last30Days: booked?.last30Days ?? {
        ...appointments.last30Days,
        appointments: 0,
        cancelled: 0,
        noShow: 0,
        cancellationRate: null,
        noShowRate: null,
      },
    };
  });
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
