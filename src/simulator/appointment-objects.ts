/**
 * The appointment object as TimeTap's report and single-object endpoints show it: its own fields,
 * nested `location`, `staff`, `reason` and `client` objects (copies taken when it was booked, as
 * a report row would show them), and a `fields` array of custom scheduler fields. Appointments
 * are frozen: the report index depends on their date, time and status, so every change goes
 * through the data's mutation methods, which replace the object (see appointment-store.ts).
 */
import type { CustomField } from './clients.js';
import { formatDay, MINUTES_PER_DAY, toHhmm } from './dates.js';
import type { RawObject } from './objects.js';
import type { Random } from './random.js';

export const APPOINTMENT_STATUSES = ['OPEN', 'PENDING', 'COMPLETED', 'CANCELLED', 'NO_SHOW'] as const;
export type AppointmentStatus = (typeof APPOINTMENT_STATUSES)[number];

export function isAppointmentStatus(text: string): text is AppointmentStatus {
  return (APPOINTMENT_STATUSES as readonly string[]).includes(text);
}

export interface Appointment {
  calendarId: number;
  businessId: number;
  status: AppointmentStatus;
  subStatus?: string;
  /** "YYYY-MM-DD". */
  startDate: string;
  endDate: string;
  /** HHmm in the location's time zone (800 = 8:00). */
  startTime: number;
  endTime: number;
  /** HHmm in the client's time zone. */
  clientStartTime: number;
  clientEndTime: number;
  location: { locationId: number; [key: string]: unknown };
  staff: { professionalId: number; [key: string]: unknown };
  reason: { reasonId: number; [key: string]: unknown };
  /** Absent only on an account without clients. */
  client?: { clientId: number; [key: string]: unknown };
  fields: CustomField[];
  /** Members of a weekly series share it. */
  recurringAppointmentId?: number;
  /** Epoch milliseconds. */
  createdDate: number;
  [key: string]: unknown;
}

/** A copy with `calendarid` in `calendarId`'s place, keeping the key order. */
export function withLowercaseId(appointment: Readonly<RawObject>): RawObject {
  const out: RawObject = {};
  for (const [key, value] of Object.entries(appointment))
    out[key === 'calendarId' ? 'calendarid' : key] = value;
  return out;
}

/** Deep-freezes plain objects and arrays; returns the value for chaining. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

/**
 * A deep copy of JSON-like data (plain objects, arrays, primitives), unfrozen. Several times
 * faster than structuredClone for many small objects: a snapshot of 290 000 appointments.
 */
export function plainCopy<T>(value: T): T {
  if (Array.isArray(value)) return value.map(plainCopy) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) out[key] = plainCopy((value as Record<string, unknown>)[key]);
    return out as T;
  }
  return value;
}

function pick(object: RawObject, keys: readonly string[]): RawObject {
  const out: RawObject = {};
  for (const key of keys) if (object[key] !== undefined) out[key] = object[key];
  return out;
}

/** The nested copies: ids and display fields only, whatever of them the object has. */
export const nest = {
  location: (location: RawObject) => pick(location, ['locationId', 'locationName']),
  staff: (staff: RawObject) =>
    pick(staff, ['professionalId', 'userName', 'firstName', 'lastName', 'fullName', 'email']),
  reason: (service: RawObject) => pick(service, ['reasonId', 'reasonDesc', 'visitMinutes']),
  client: (client: RawObject) => pick(client, ['clientId', 'firstName', 'lastName', 'emailAddress']),
};

/** UTC offsets (standard time) of the zones the generated objects use. */
const UTC_OFFSET_HOURS: Record<string, number> = {
  'America/New_York': -5,
  'America/Chicago': -6,
  'America/Denver': -7,
  'America/Los_Angeles': -8,
};

/** The offset of a `{ timeZoneCode }` object, or undefined (sparse objects carry none). */
export function zoneOffsetHours(zone: unknown): number | undefined {
  if (!zone || typeof zone !== 'object') return undefined;
  const code = (zone as RawObject).timeZoneCode;
  return typeof code === 'string' ? UTC_OFFSET_HOURS[code] : undefined;
}

/** The appointment's own zone: the location's, else the staff member's, else Eastern. */
export function appointmentOffset(location: RawObject | undefined, staff: RawObject | undefined): number {
  return zoneOffsetHours(location?.timeZone) ?? zoneOffsetHours(staff?.timeZoneCode) ?? -5;
}

const APPOINTMENT_FIELDS = [
  { fieldId: 201, fieldName: 'Reason for visit', values: ['Check-up', 'Douleur au dos', 'Follow-up', ''] },
  { fieldId: 202, fieldName: 'Insurance provider', values: ['Aetna', 'Blue Cross', 'Self-pay', 'Cigna'] },
  { fieldId: 203, fieldName: 'Room', values: ['A', 'B', 'Studio Ñ'] },
] as const;

const NO_FIELDS: CustomField[] = Object.freeze([]) as unknown as CustomField[];

/** Shared frozen field items: the pools are small, and 290 000 appointments need little memory. */
const FIELD_ITEMS = APPOINTMENT_FIELDS.map((field) =>
  field.values.map((value) => Object.freeze({ fieldId: field.fieldId, fieldName: field.fieldName, value })),
);

export function appointmentFields(rng: Random): CustomField[] {
  let out: CustomField[] | undefined;
  for (const items of FIELD_ITEMS) {
    if (!rng.chance(0.4)) continue;
    out ??= [];
    out.push(rng.pick(items));
  }
  return out ? (Object.freeze(out) as CustomField[]) : NO_FIELDS;
}

export interface StatusPick {
  status: AppointmentStatus;
  subStatus?: string;
}

/** Past: mostly COMPLETED, some CANCELLED and NO_SHOW. Future: OPEN or PENDING, some CANCELLED. */
export function pickStatus(rng: Random, past: boolean): StatusPick {
  const r = rng.next();
  if (past) {
    if (r < 0.8) return r < 0.3 ? { status: 'COMPLETED', subStatus: 'CHECKED_OUT' } : { status: 'COMPLETED' };
    if (r < 0.9)
      return { status: 'CANCELLED', subStatus: r < 0.85 ? 'CANCELLED_BY_CLIENT' : 'CANCELLED_BY_STAFF' };
    return { status: 'NO_SHOW' };
  }
  if (r < 0.6) return r < 0.2 ? { status: 'OPEN', subStatus: 'CONFIRMED' } : { status: 'OPEN' };
  if (r < 0.9) return { status: 'PENDING', subStatus: 'AWAITING_APPROVAL' };
  return { status: 'CANCELLED', subStatus: 'CANCELLED_BY_CLIENT' };
}

export interface AppointmentParts extends StatusPick {
  calendarId: number;
  businessId: number;
  day: number;
  /** Minutes after midnight, in the appointment's zone. */
  startMinutes: number;
  durationMinutes: number;
  /** Client zone minus appointment zone, in hours. */
  clientShiftHours: number;
  location: Appointment['location'];
  staff: Appointment['staff'];
  reason: Appointment['reason'];
  client: Appointment['client'];
  fields: CustomField[];
  recurringAppointmentId?: number;
  createdDate: number;
  /** The day's "YYYY-MM-DD" when the caller has it (generation shares one string per day). */
  startDate?: string;
}

/**
 * A frozen appointment; an end past midnight moves endDate to the next day. Built property by
 * property, without spreads: this runs 290 000 times for a large account, and object spreads in
 * a hot loop are an order of magnitude slower in V8.
 */
export function buildAppointment(parts: AppointmentParts): Appointment {
  const end = parts.startMinutes + parts.durationMinutes;
  const startDate = parts.startDate ?? formatDay(parts.day);
  const endDate =
    end < MINUTES_PER_DAY ? startDate : formatDay(parts.day + Math.floor(end / MINUTES_PER_DAY));
  const shift = parts.clientShiftHours * 60;
  const appointment = {
    calendarId: parts.calendarId,
    businessId: parts.businessId,
    status: parts.status,
  } as Appointment;
  if (parts.subStatus !== undefined) appointment.subStatus = parts.subStatus;
  appointment.startDate = startDate;
  appointment.endDate = endDate;
  appointment.startTime = toHhmm(parts.startMinutes);
  appointment.endTime = toHhmm(end);
  appointment.clientStartTime = toHhmm(parts.startMinutes + shift);
  appointment.clientEndTime = toHhmm(end + shift);
  appointment.location = parts.location;
  appointment.staff = parts.staff;
  appointment.reason = parts.reason;
  if (parts.client !== undefined) appointment.client = parts.client;
  appointment.fields = parts.fields;
  if (parts.recurringAppointmentId !== undefined)
    appointment.recurringAppointmentId = parts.recurringAppointmentId;
  appointment.createdDate = parts.createdDate;
  return Object.freeze(appointment);
}
