/**
 * Appointments by id and by startDate. Each day's list is kept in report order (startTime, then
 * calendarId), so that a report over a range is the concatenation of its days' lists, filtered:
 * O(days + appointments in the range), never O(account). A walk asks for the same range page
 * after page, so the last few filtered lists are cached, keyed by the query and invalidated by
 * any change (a version number): a 2900-page walk over a year costs one scan per change.
 */
import type { Appointment } from './appointment-objects.js';

/** What a report asks for. Lists are filters (absent: any); ids that match nothing match nothing. */
export interface AppointmentFilter {
  /** "YYYY-MM-DD", both inclusive, compared with the appointment's startDate. */
  from: string;
  to: string;
  statuses?: readonly string[];
  locationIds?: readonly number[];
  staffIds?: readonly number[];
  reasonIds?: readonly number[];
}

export interface AppointmentIndex {
  readonly byId: Map<number, Appointment>;
  /** Adds a new appointment; throws if its calendarId exists. */
  add(appointment: Appointment): void;
  /** Replaces the appointment with the same calendarId (which must exist), re-placing it by date and time. */
  replace(appointment: Appointment): void;
  /** Removes and returns it; throws for an unknown id. */
  remove(calendarId: number): Appointment;
  /** Matching appointments in report order: startDate, startTime, calendarId. Do not mutate. */
  find(filter: AppointmentFilter): readonly Appointment[];
}

/** Report order within one day. */
function before(a: Appointment, b: Appointment): number {
  return a.startTime - b.startTime || a.calendarId - b.calendarId;
}

/** First position in `sorted` whose item is not before `item` (lower bound). */
function lowerBound<T>(sorted: readonly T[], item: T, compare: (a: T, b: T) => number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compare(sorted[mid] as T, item) < 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const CACHE_SIZE = 8;

function matcher(filter: AppointmentFilter): (appointment: Appointment) => boolean {
  const set = <T>(items: readonly T[] | undefined) => (items === undefined ? undefined : new Set(items));
  const statuses = set(filter.statuses);
  const locations = set(filter.locationIds);
  const staff = set(filter.staffIds);
  const reasons = set(filter.reasonIds);
  return (a) =>
    (!statuses || statuses.has(a.status)) &&
    (!locations || locations.has(a.location?.locationId)) &&
    (!staff || staff.has(a.staff?.professionalId)) &&
    (!reasons || reasons.has(a.reason?.reasonId));
}

function keyOf(filter: AppointmentFilter): string {
  const list = (items: readonly (string | number)[] | undefined) =>
    items === undefined ? '*' : [...items].sort().join(',');
  return [
    filter.from,
    filter.to,
    list(filter.statuses),
    list(filter.locationIds),
    list(filter.staffIds),
    list(filter.reasonIds),
  ].join('|');
}

/** Builds the index from appointments in any order: O(n log n) once. */
export function createAppointmentIndex(initial: Iterable<Appointment>): AppointmentIndex {
  const byId = new Map<number, Appointment>();
  const byDate = new Map<string, Appointment[]>();
  for (const appointment of initial) {
    if (byId.has(appointment.calendarId))
      throw new Error(`simulator: appointment ${appointment.calendarId} twice`);
    byId.set(appointment.calendarId, appointment);
    const day = byDate.get(appointment.startDate);
    if (day) day.push(appointment);
    else byDate.set(appointment.startDate, [appointment]);
  }
  for (const day of byDate.values()) day.sort(before);
  /** Every date that has (or had) appointments, sorted; an emptied day stays, as an empty list. */
  const dates = [...byDate.keys()].sort(byText);
  let version = 0;
  const cache = new Map<string, { version: number; list: Appointment[] }>();

  const place = (appointment: Appointment) => {
    let day = byDate.get(appointment.startDate);
    if (!day) {
      day = [];
      byDate.set(appointment.startDate, day);
      dates.splice(lowerBound(dates, appointment.startDate, byText), 0, appointment.startDate);
    }
    day.splice(lowerBound(day, appointment, before), 0, appointment);
  };
  const unplace = (appointment: Appointment) => {
    const day = byDate.get(appointment.startDate) ?? [];
    const at = lowerBound(day, appointment, before);
    if (day[at] === appointment) day.splice(at, 1);
  };
  const mustGet = (calendarId: number) => {
    const appointment = byId.get(calendarId);
    if (!appointment) throw new Error(`simulator: no appointment with calendarId ${calendarId}`);
    return appointment;
  };

  return {
    byId,
    add(appointment) {
      if (byId.has(appointment.calendarId))
        throw new Error(`simulator: appointment ${appointment.calendarId} already exists`);
      byId.set(appointment.calendarId, appointment);
      place(appointment);
      version++;
    },
    replace(appointment) {
      unplace(mustGet(appointment.calendarId));
      byId.set(appointment.calendarId, appointment);
      place(appointment);
      version++;
    },
    remove(calendarId) {
      const appointment = mustGet(calendarId);
      unplace(appointment);
      byId.delete(calendarId);
      version++;
      return appointment;
    },
    find(filter) {
      const key = keyOf(filter);
      const hit = cache.get(key);
      cache.delete(key);
      if (hit && hit.version === version) {
        cache.set(key, hit); // most recently used last
        return hit.list;
      }
      const matches = matcher(filter);
      const list: Appointment[] = [];
      for (let i = lowerBound(dates, filter.from, byText); i < dates.length; i++) {
        const date = dates[i] as string;
        if (date > filter.to) break;
        for (const appointment of byDate.get(date) ?? []) if (matches(appointment)) list.push(appointment);
      }
      cache.set(key, { version, list });
      if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      return list;
    },
  };
}
