/**
 * Appointments and clients at the boundary, in the manner of schemas.ts: only the id is required
 * (an appointment's `calendarId`, which TimeTap's own examples also spell `calendarid`), every
 * other field is optional and a wrong-typed one is treated as absent, and `raw` is the object as
 * sent. An appointment nests copies of its location, staff member, service (reason) and client:
 * they are parsed too, so that the mirror can fill gaps in their own tables.
 */
import { z } from 'zod';
import type { AppointmentRecord, ClientRecord } from '../records.js';
import { appointmentKind } from './appointment-kind.js';
import { parseLocation, parseService, parseStaff, type RecordParse } from './schemas.js';

const id = z.number().int().positive();
const optionalString = z.string().optional().catch(undefined);
const optionalInt = z.number().int().optional().catch(undefined);
const optionalId = id.optional().catch(undefined);
// 2026-02-30 has the shape of a date and is none: typed fields hold real dates and times only.
const isoDate = z.string().refine(isCalendarDate).optional().catch(undefined);
const hhmm = z
  .number()
  .int()
  .min(0)
  .max(2400)
  .refine((n) => n % 100 < 60)
  .optional()
  .catch(undefined);

const clientSchema = z
  .object({
    clientId: id,
    businessId: optionalInt,
    firstName: optionalString,
    lastName: optionalString,
    emailAddress: optionalString,
    cellPhone: optionalString,
    homePhone: optionalString,
    workPhone: optionalString,
    city: optionalString,
  })
  .loose();

export function parseClientRecord(input: unknown): RecordParse<ClientRecord> {
  const object = asObject(input);
  if (!object.ok) return object;
  const result = clientSchema.safeParse(object.value);
  if (!result.success) return { ok: false, reason: idProblem(object.value, 'clientId') };
  const d = result.data;
  return {
    ok: true,
    value: compact({
      id: d.clientId,
      businessId: d.businessId,
      firstName: d.firstName,
      lastName: d.lastName,
      email: d.emailAddress,
      phone: d.cellPhone ?? d.homePhone ?? d.workPhone,
      city: d.city,
      raw: object.value,
    }),
  };
}

const appointmentSchema = z
  .object({
    businessId: optionalInt,
    status: optionalString,
    subStatus: optionalString,
    startDate: isoDate,
    endDate: isoDate,
    startTime: hhmm,
    endTime: hhmm,
    recurringAppointmentId: optionalId,
  })
  .loose();

export function parseAppointment(input: unknown): RecordParse<AppointmentRecord> {
  const object = asObject(input);
  if (!object.ok) return object;
  const raw = object.value;
  // The docs' examples spell it both ways; one object never needs both.
  const field = raw.calendarId !== undefined ? 'calendarId' : 'calendarid';
  const calendarId = id.safeParse(raw[field]);
  if (!calendarId.success) return { ok: false, reason: idProblem(raw, field) };
  const d = appointmentSchema.parse(raw);
  const nested = {
    location: nestedOf(raw.location, parseLocation),
    staff: nestedOf(raw.staff, parseStaff),
    service: nestedOf(raw.reason, parseService),
    client: nestedOf(raw.client, parseClientRecord),
  };
  return {
    ok: true,
    value: compact({
      id: calendarId.data,
      businessId: d.businessId,
      locationId: nested.location?.id,
      staffId: nested.staff?.id,
      serviceId: nested.service?.id,
      clientId: nested.client?.id,
      status: d.status,
      subStatus: d.subStatus,
      startDate: d.startDate,
      endDate: d.endDate,
      startTime: d.startTime,
      endTime: d.endTime,
      recurringAppointmentId: d.recurringAppointmentId,
      kind: appointmentKind(raw),
      nested: compact(nested),
      raw,
    }),
  };
}

/** `YYYY-MM-DD` of a day that exists. */
export function isCalendarDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const day = new Date(0);
  day.setUTCFullYear(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return day.getUTCMonth() === Number(match[2]) - 1 && day.getUTCDate() === Number(match[3]);
}

function nestedOf<T>(value: unknown, parse: (input: unknown) => RecordParse<T>): T | undefined {
  if (value === undefined || value === null) return undefined;
  const parsed = parse(value);
  return parsed.ok ? parsed.value : undefined;
}

function asObject(input: unknown): RecordParse<Record<string, unknown>> {
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    return { ok: true, value: input as Record<string, unknown> };
  }
  const kind = input === null ? 'null' : Array.isArray(input) ? 'array' : typeof input;
  return { ok: false, reason: `not an object (${kind})` };
}

/** Why the id is unusable, never the value itself. */
function idProblem(object: Record<string, unknown>, field: string): string {
  return `${field}: ${object[field] === undefined ? 'missing' : 'must be a positive integer'}`;
}

/** Drops keys whose value is undefined, so that "absent" has one shape. */
function compact<T extends object>(value: T): T {
  for (const key of Object.keys(value) as Array<keyof T>) {
    if (value[key] === undefined) delete value[key];
  }
  return value;
}
