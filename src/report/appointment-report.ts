/**
 * The appointments part of the report, from `appointment_daily_view` (so that it counts what a
 * user's own SQL counts: client bookings, not time-off or class entries): per location the appointments booked for the next 7 days (today
 * included) and the last 30 days' cancellation and no-show rates; account-wide the same, and the
 * busiest staff of the last 30 days by minutes booked. "Today" is the UTC date, as for the
 * rolling window the sync keeps fresh (whatever the time zone of the database session). A cancellation rate is cancelled / all appointments; a no-show rate is
 * no-shows / appointments not cancelled (those that were due to happen).
 */
import type { Db } from '../db/database.js';

export interface UpcomingWeek {
  from: string;
  to: string;
  booked: number;
  bookedMinutes: number;
}

export interface PastMonth {
  from: string;
  to: string;
  appointments: number;
  cancelled: number;
  noShow: number;
  /** Null when there was no appointment to rate. */
  cancellationRate: number | null;
  noShowRate: number | null;
}

export interface BusyStaff {
  id: number;
  name: string | null;
  appointments: number;
  bookedMinutes: number;
}

export interface AppointmentReport {
  /** Client bookings mirrored at all (not tombstoned; time-off and classes aside): 0 before the first sync that read them. */
  mirrored: number;
  next7Days: UpcomingWeek;
  last30Days: PastMonth;
  busiestStaff: BusyStaff[];
  perLocation: Map<number, { next7Days: UpcomingWeek; last30Days: PastMonth }>;
}

interface PeriodRow {
  location_id: bigint | null;
  booked: bigint;
  booked_minutes: bigint;
  cancelled: bigint;
  no_show: bigint;
}

const BUSIEST = 5;
const TODAY = "(now() AT TIME ZONE 'UTC')::date";

/** The account's appointments (`$1` in every query). */
export async function readAppointmentReport(db: Db, account: string): Promise<AppointmentReport> {
  const [[dates], [count], upcoming, past, busiest] = await Promise.all([
    db.$queryRawUnsafe<Array<{ today: string; week_end: string; month_start: string; yesterday: string }>>(
      `SELECT to_char(${TODAY}, 'YYYY-MM-DD') AS today, to_char(${TODAY} + 6, 'YYYY-MM-DD') AS week_end,
              to_char(${TODAY} - 30, 'YYYY-MM-DD') AS month_start, to_char(${TODAY} - 1, 'YYYY-MM-DD') AS yesterday`,
    ),
    db.$queryRawUnsafe<Array<{ n: bigint }>>(
      `SELECT count(*) AS n FROM appointments WHERE account = $1 AND deleted_at IS NULL AND kind = 'appointment'`,
      account,
    ),
    perLocation(db, account, TODAY, `${TODAY} + 6`),
    perLocation(db, account, `${TODAY} - 30`, `${TODAY} - 1`),
    db.$queryRawUnsafe<
      Array<{ staff_id: bigint; staff_name: string | null; booked: bigint; booked_minutes: bigint }>
    >(
      `SELECT staff_id, staff_name, sum(booked) AS booked, sum(booked_minutes) AS booked_minutes
         FROM appointment_daily_view
        WHERE account = $1 AND staff_id IS NOT NULL
          AND start_date BETWEEN to_char(${TODAY} - 30, 'YYYY-MM-DD') AND to_char(${TODAY} - 1, 'YYYY-MM-DD')
        GROUP BY staff_id, staff_name
       HAVING sum(booked) > 0
        ORDER BY sum(booked_minutes) DESC, sum(booked) DESC, staff_id
        LIMIT ${BUSIEST}`,
      account,
    ),
  ]);
  if (!dates) throw new Error('the database did not say what day it is');
  const week = { from: dates.today, to: dates.week_end };
  const month = { from: dates.month_start, to: dates.yesterday };
  const perLocationReport = new Map<number, { next7Days: UpcomingWeek; last30Days: PastMonth }>();
  const entry = (id: number) => {
    let found = perLocationReport.get(id);
    if (!found) {
      found = { next7Days: upcomingWeek(week, []), last30Days: pastMonth(month, []) };
      perLocationReport.set(id, found);
    }
    return found;
  };
  for (const row of upcoming)
    if (row.location_id !== null) entry(Number(row.location_id)).next7Days = upcomingWeek(week, [row]);
  for (const row of past)
    if (row.location_id !== null) entry(Number(row.location_id)).last30Days = pastMonth(month, [row]);
  return {
    mirrored: Number(count?.n ?? 0),
    next7Days: upcomingWeek(week, upcoming),
    last30Days: pastMonth(month, past),
    busiestStaff: busiest.map((row) => ({
      id: Number(row.staff_id),
      name: row.staff_name,
      appointments: Number(row.booked),
      bookedMinutes: Number(row.booked_minutes),
    })),
    perLocation: perLocationReport,
  };
}

/** Per location (an appointment at no known location under null), between two SQL dates. */
function perLocation(db: Db, account: string, from: string, to: string): Promise<PeriodRow[]> {
  return db.$queryRawUnsafe<PeriodRow[]>(
    `SELECT location_id, sum(booked) AS booked, sum(booked_minutes) AS booked_minutes,
            sum(cancelled) AS cancelled, sum(no_show) AS no_show
       FROM appointment_daily_view
      WHERE account = $1 AND start_date BETWEEN to_char(${from}, 'YYYY-MM-DD') AND to_char(${to}, 'YYYY-MM-DD')
      GROUP BY location_id`,
    account,
  );
}

function sum(rows: readonly PeriodRow[], key: keyof Omit<PeriodRow, 'location_id'>): number {
  return rows.reduce((total, row) => total + Number(row[key]), 0);
}

function upcomingWeek(range: { from: string; to: string }, rows: readonly PeriodRow[]): UpcomingWeek {
  return { ...range, booked: sum(rows, 'booked'), bookedMinutes: sum(rows, 'booked_minutes') };
}

function pastMonth(range: { from: string; to: string }, rows: readonly PeriodRow[]): PastMonth {
  const booked = sum(rows, 'booked');
  const cancelled = sum(rows, 'cancelled');
  const noShow = sum(rows, 'no_show');
  const appointments = booked + cancelled;
  return {
    ...range,
    appointments,
    cancelled,
    noShow,
    cancellationRate: appointments === 0 ? null : cancelled / appointments,
    noShowRate: booked === 0 ? null : noShow / booked,
  };
}
