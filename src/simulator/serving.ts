/**
 * How an object is served under the variants that change its shape (variants.ts), the same at
 * every endpoint that shows it (reports, its own URL, webhooks), while the data keeps the truth:
 * - appointments: `calendarid` in lower case; some entries served as personal time-off (no
 *   client, no reason, `appointmentType: "TIME_OFF"`) or as a class entry (no client, a reason of
 *   `reasonType: "CLASS"`, a `classScheduleId`); some with an impossible `endDate`;
 * - locations: the time zone as a `timeZone` object, a legacy `timeZoneCode` name, or null.
 * Which entries are affected follows from their id, so that a test can tell (`nonClientKindOf`,
 * `hasImpossibleDate`).
 */
import { type Appointment, withLowercaseId } from './appointment-objects.js';
import type { RawObject } from './objects.js';
import type { LocationTimeZones, Variants } from './variants.js';

export type AppointmentServing = Pick<Variants, 'nonClientEntries' | 'impossibleDates'> & {
  lowercaseCalendarId: boolean;
};

/** Under `nonClientEntries`: what the entry with this id is served as (undefined: a client booking). */
export function nonClientKindOf(calendarId: number): 'time_off' | 'class' | undefined {
  if (calendarId % 9 === 4) return 'time_off';
  if (calendarId % 9 === 7) return 'class';
  return undefined;
}

/** Under `impossibleDates`: whether the entry with this id carries an impossible endDate. */
function hasImpossibleDate(calendarId: number): boolean {
  return calendarId % 11 === 5;
}

/** The appointment as TimeTap serves it under `serving`; the object itself when nothing applies. */
export function serveAppointment(appointment: Appointment, serving: AppointmentServing): RawObject {
  let out: RawObject = appointment;
  const kind = serving.nonClientEntries ? nonClientKindOf(appointment.calendarId) : undefined;
  if (kind === 'time_off') {
    const { client: _c, reason: _r, subStatus: _s, ...rest } = appointment;
    out = { ...rest, appointmentType: 'TIME_OFF', fields: [] };
  } else if (kind === 'class') {
    const { client: _c, ...rest } = appointment;
    out = {
      ...rest,
      reason: { ...appointment.reason, reasonType: 'CLASS' },
      classScheduleId: 700_000 + appointment.reason.reasonId,
    };
  }
  if (serving.impossibleDates && hasImpossibleDate(appointment.calendarId))
    out = { ...out, endDate: `${appointment.startDate.slice(0, 4)}-02-30` };
  return serving.lowercaseCalendarId ? withLowercaseId(out) : out;
}

const LEGACY_NAMES: Record<string, string> = {
  'America/New_York': 'US/Eastern',
  'America/Chicago': 'US/Central',
  'America/Denver': 'US/Mountain',
  'America/Los_Angeles': 'US/Pacific',
};

/** How the location with this id names its zone under `zones` (`mixed` goes by id). */
function zoneStyleOf(locationId: number, zones: LocationTimeZones): Exclude<LocationTimeZones, 'mixed'> {
  if (zones !== 'mixed') return zones;
  return (['object', 'legacy', 'null'] as const)[locationId % 3] ?? 'object';
}

/**
 * The location as served: its `timeZone` object as generated, or the legacy name of its zone in
 * `timeZoneCode` (`timeZone` null), or `timeZone` null. A sparse location (no zone) stays as it is.
 */
export function serveLocation(location: RawObject, zones: LocationTimeZones): RawObject {
  const zone = location.timeZone as { timeZoneCode?: unknown } | undefined;
  if (zone === undefined) return location;
  const style = zoneStyleOf(location.locationId as number, zones);
  if (style === 'object') return location;
  if (style === 'null') return { ...location, timeZone: null };
  const code = typeof zone?.timeZoneCode === 'string' ? zone.timeZoneCode : undefined;
  return { ...location, timeZone: null, timeZoneCode: (code && LEGACY_NAMES[code]) ?? code ?? null };
}
