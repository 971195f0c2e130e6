/**
 * The appointments of the mirror (TimeTap's `calendarId`), through the shared write path
 * (bulk-upsert.ts), with two additions:
 * - typed wall-clock columns derived from what TimeTap sends: `local_start` (start_date +
 *   start_time, a timestamp without time zone: the location's own clock) and `duration_minutes`
 *   (end minus start, across dates), NULL when an input is missing or malformed or the end comes
 *   before the start;
 * - `read_at`: when TimeTap was read. Appointments are written by report pages and by webhooks'
 *   fetches, which may overlap; a row is written only when its content changed (or it is new or
 *   tombstoned) AND the read is not older than the stored one, so that a page read at 10:00:00
 *   cannot undo a fetch at 10:00:05. Unchanged content writes nothing, whatever the read's time.
 * The `client` nested in `raw` is reduced by the client-data policy (client-data.ts).
 *
 * Tombstones are per range of dates: an appointment that a complete read of its range did not
 * see (and that its own URL no longer returns) is marked deleted.
 */
import type { DateRange } from '../dates.js';
import { Prisma } from '../generated/prisma/client.js';
import type { AppointmentKind, AppointmentRecord } from '../records.js';
import {
  type Column,
  type PreparedRow,
  prepareRow,
  type UpsertCounts,
  type UpsertTarget,
  type WarningLogger,
  writePreparedRows,
} from './bulk-upsert.js';
import { type ClientDataPolicy, reduceAppointmentRaw } from './client-data.js';
import type { Db } from './database.js';
import { executeInRun, type RunWrite } from './run-id.js';

/** What the writer reads of an appointment: the record less its nested copies (and its kind may be unset: `appointment`). */
export type AppointmentRow = Omit<AppointmentRecord, 'nested' | 'kind'> & { kind?: AppointmentKind };

export interface AppointmentUpsertOptions extends RunWrite {
  /** When TimeTap was read (taken before the request): an older read never overwrites a newer one. */
  readAt: Date;
  clientData: ClientDataPolicy;
  logger?: WarningLogger;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * A date and an HHmm time as milliseconds on a UTC-labelled clock (the wall clock, whatever its
 * zone), or undefined when either is missing or not a real date and time. 2400 is the end of the
 * day, as TimeTap writes an end at midnight. Read digit by digit rather than by a regular
 * expression and a Date: every appointment a backfill writes goes through here four times.
 */
export function wallClockMs(date: string | undefined, hhmm: number | undefined): number | undefined {
  if (date === undefined || hhmm === undefined) return undefined;
  if (!Number.isInteger(hhmm) || hhmm < 0 || hhmm > 2400 || hhmm % 100 >= 60) return undefined;
  const day = dayNumber(date);
  if (day === undefined) return undefined;
  return day * DAY_MS + (Math.floor(hhmm / 100) * 60 + (hhmm % 100)) * MINUTE_MS;
}

/** Days from 1970-01-01 to a `YYYY-MM-DD` date that exists (year 1 or later), in the proleptic Gregorian calendar. */
function dayNumber(date: string): number | undefined {
  if (date.length !== 10 || date.charCodeAt(4) !== DASH || date.charCodeAt(7) !== DASH) return undefined;
  const year = digits(date, 0, 4);
  const month = digits(date, 5, 2);
  const day = digits(date, 8, 2);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  // Howard Hinnant's days_from_civil: years counted from March, so that February comes last.
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

const DASH = 45;
const ZERO = 48;

/** The number `count` ASCII digits at `start` spell, or -1. */
function digits(text: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i += 1) {
    const digit = text.charCodeAt(i) - ZERO;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** `local_start` as Postgres reads a timestamp: "YYYY-MM-DD HH:MM:SS". */
export function localStart(row: Pick<AppointmentRow, 'startDate' | 'startTime'>): string | undefined {
  const ms = wallClockMs(row.startDate, row.startTime);
  if (ms === undefined) return undefined;
  const time = row.startTime as number;
  // The same day: its own text; 2400 is the next day's midnight.
  if (time < 2400) return `${row.startDate} ${pad2(Math.floor(time / 100))}:${pad2(time % 100)}:00`;
  const iso = new Date(ms).toISOString();
  // Past year 9999 (a start at 24:00 on 9999-12-31) ISO needs a sign that Postgres does not read.
  return /^\d{4}-/.test(iso) ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : undefined;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** End minus start in minutes, across dates; undefined when unknown or negative. */
export function durationMinutes(
  row: Pick<AppointmentRow, 'startDate' | 'startTime' | 'endDate' | 'endTime'>,
): number | undefined {
  const start = wallClockMs(row.startDate, row.startTime);
  const end = wallClockMs(row.endDate, row.endTime);
  if (start === undefined || end === undefined || end < start) return undefined;
  return (end - start) / MINUTE_MS;
}

/** A date that exists, as `YYYY-MM-DD`: what the typed date columns hold (raw keeps the rest). */
function realDate(date: string | undefined): string | undefined {
  return date !== undefined && wallClockMs(date, 0) !== undefined ? date : undefined;
}

/** An HHmm time of a real clock (2400 ends a day): what the typed time columns hold. */
function realTime(hhmm: number | undefined): number | undefined {
  return hhmm !== undefined && wallClockMs('2000-01-01', hhmm) !== undefined ? hhmm : undefined;
}

const APPOINTMENT_COLUMNS: Column<AppointmentRow>[] = [
  { name: 'business_id', type: 'bigint', pick: (r) => r.businessId },
  { name: 'location_id', type: 'bigint', pick: (r) => r.locationId },
  { name: 'staff_id', type: 'bigint', pick: (r) => r.staffId },
  { name: 'service_id', type: 'bigint', pick: (r) => r.serviceId },
  { name: 'client_id', type: 'bigint', pick: (r) => r.clientId },
  { name: 'status', type: 'text', pick: (r) => r.status },
  { name: 'sub_status', type: 'text', pick: (r) => r.subStatus },
  { name: 'start_date', type: 'text', pick: (r) => realDate(r.startDate) },
  { name: 'end_date', type: 'text', pick: (r) => realDate(r.endDate) },
  { name: 'start_time', type: 'integer', pick: (r) => realTime(r.startTime) },
  { name: 'end_time', type: 'integer', pick: (r) => realTime(r.endTime) },
  { name: 'local_start', type: 'timestamp', pick: localStart },
  { name: 'duration_minutes', type: 'integer', pick: durationMinutes },
  { name: 'recurring_appointment_id', type: 'bigint', pick: (r) => r.recurringAppointmentId },
  { name: 'kind', type: 'text', pick: (r) => r.kind ?? 'appointment' },
];

/**
 * `start_at`: the wall clock read in the zone of the appointment's location (a location's
 * `time_zone` holds only names Postgres knows: the migration's trigger sees to it); NULL when
 * either is unknown. Computed by the database, so that it and the location trigger that
 * recomputes it when a zone changes read the zone the same way.
 */
const START_AT = {
  name: 'start_at',
  sql: Prisma.sql`(SELECT c.local_start AT TIME ZONE l.time_zone FROM locations l
    WHERE l.account = c.account AND l.id = c.location_id)`,
};

/** The write of appointments under a client-data policy (bulk-upsert.ts). */
function appointmentTarget(clientData: ClientDataPolicy): UpsertTarget<AppointmentRow> {
  return {
    table: 'appointments',
    columns: APPOINTMENT_COLUMNS,
    derived: [START_AT],
    storedRaw: (raw) => reduceAppointmentRaw(raw, clientData),
  };
}

const CLIENT_ID_COLUMN = APPOINTMENT_COLUMNS.findIndex((c) => c.name === 'client_id');

/**
 * Turns appointments into rows as the write takes them, one at a time: a chunk's reader calls it
 * as each page arrives (sync/appointment-walk.ts), so that what it holds until the chunk is
 * complete is a few strings per appointment rather than the parsed record and its nested objects,
 * which garbage collection would otherwise walk again and again (bench 6).
 */
export function appointmentPreparer(clientData: ClientDataPolicy): (row: AppointmentRow) => PreparedRow {
  const target = appointmentTarget(clientData);
  return (row) => prepareRow(row, target);
}

/** The client a prepared appointment names (its `client_id`). */
export function preparedClientId(row: PreparedRow): number | undefined {
  const value = row.typed[CLIENT_ID_COLUMN];
  return typeof value === 'number' ? value : undefined;
}

export function upsertAppointments(
  db: Db,
  rows: readonly AppointmentRow[],
  options: AppointmentUpsertOptions,
): Promise<UpsertCounts> {
  const prepare = appointmentPreparer(options.clientData);
  return upsertPreparedAppointments(db, rows.map(prepare), options);
}

/** Writes appointments made by `appointmentPreparer` under the same policy. */
export function upsertPreparedAppointments(
  db: Db,
  rows: readonly PreparedRow[],
  options: AppointmentUpsertOptions,
): Promise<UpsertCounts> {
  const { readAt, clientData, logger, runId, account } = options;
  if (!(readAt instanceof Date) || Number.isNaN(readAt.getTime())) {
    return Promise.reject(new TypeError('upsertAppointments: readAt must be a valid Date'));
  }
  return writePreparedRows(db, appointmentTarget(clientData), rows, {
    readAt,
    ...(logger ? { logger } : {}),
    runId,
    account,
  });
}

/**
 * The account's active appointments starting within `range` (inclusive) whose id is not among `seenIds`,
 * and how many active ones the range holds (the mass-delete guard's measure). With `statuses`,
 * only rows of those statuses (or of none): what a report asking for them would list. One
 * read-only statement. Rows without a start date belong to no range.
 */
export async function unseenAppointments(
  db: Db,
  account: string,
  range: DateRange,
  seenIds: readonly number[],
  options: { statuses?: readonly string[] } = {},
): Promise<{ active: number; unseen: number[] }> {
  const statuses = options.statuses;
  const within =
    statuses === undefined
      ? rangeCondition(range)
      : Prisma.sql`${rangeCondition(range)} AND (status IS NULL OR status = ANY(${[...statuses]}::text[]))`;
  const seen = [...new Set(seenIds)];
  // EXCEPT rather than an anti-join: hashed whatever the planner's statistics say (links.ts).
  const rows = await db.$queryRaw<Array<{ active: number; unseen: bigint[] }>>`
    WITH in_range AS (
      SELECT id FROM appointments WHERE account = ${account} AND deleted_at IS NULL AND ${within})
    SELECT
      (SELECT count(*) FROM in_range)::int AS active,
      (SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM (
        SELECT id FROM in_range EXCEPT SELECT unnest(${seen}::bigint[])) u) AS unseen`;
  const row = rows[0];
  return { active: row?.active ?? 0, unseen: (row?.unseen ?? []).map(Number) };
}

/**
 * Marks appointments deleted (their own URL answered 404). With `readAt`, the read that showed
 * them gone: a row read later than that (a webhook's fetch meanwhile) is kept, and a marked row
 * takes that read time, so that an older read in flight cannot revive it. Returns how many rows
 * were marked.
 */
export async function tombstoneAppointments(
  db: Db,
  ids: readonly number[],
  options: RunWrite & { readAt?: Date },
): Promise<number> {
  if (ids.length === 0) return 0;
  const list = [...new Set(ids)];
  const { readAt, runId, account } = options;
  if (readAt === undefined) {
    return executeInRun(
      db,
      runId,
      Prisma.sql`UPDATE appointments SET deleted_at = now()
        WHERE account = ${account} AND id = ANY(${list}::bigint[]) AND deleted_at IS NULL`,
    );
  }
  return executeInRun(
    db,
    runId,
    Prisma.sql`
      UPDATE appointments SET deleted_at = now(), read_at = ${readAt}::timestamptz
      WHERE account = ${account} AND id = ANY(${list}::bigint[]) AND deleted_at IS NULL
        AND read_at <= ${readAt}::timestamptz`,
  );
}

/** When TimeTap was last read for this appointment (by a chunk or at its own URL); undefined: never. */
export async function appointmentReadAt(db: Db, account: string, id: number): Promise<Date | undefined> {
  const rows = await db.$queryRaw<Array<{ read_at: Date | null }>>`
    SELECT read_at FROM appointments WHERE account = ${account} AND id = ${id}::bigint`;
  return rows[0]?.read_at ?? undefined;
}

/** The account's active appointments, all of them or those starting within `range` (inclusive). */
export async function countActiveAppointments(db: Db, account: string, range?: DateRange): Promise<number> {
  const within = range === undefined ? Prisma.sql`TRUE` : rangeCondition(range);
  const rows = await db.$queryRaw<Array<{ n: number }>>`
    SELECT count(*)::int AS n FROM appointments WHERE account = ${account} AND deleted_at IS NULL AND ${within}`;
  return rows[0]?.n ?? 0;
}

/** start_date within the range; the dates compare as text, so they must be well-formed. */
function rangeCondition({ startDate, endDate }: DateRange): Prisma.Sql {
  for (const date of [startDate, endDate]) {
    if (!DATE.test(date)) throw new RangeError(`not a YYYY-MM-DD date: ${JSON.stringify(date)}`);
  }
  return Prisma.sql`start_date BETWEEN ${startDate} AND ${endDate}`;
}
