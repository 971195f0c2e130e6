/**
 * Appointments and clients at the boundary, in the manner of schemas.ts: only the id is required
 * (an appointment's `calendarId`, which TimeTap's own examples also spell `calendarid`), every
 * other field is optional and a wrong-typed one is treated as absent, and `raw` is the object as
 * sent. An appointment nests copies of its location, staff member, service (reason) and client:
 * they are parsed too, so that the mirror can fill gaps in their own tables.
 */
import type { AppointmentRecord, ClientRecord } from '../records.js';
import { appointmentKind } from './appointment-kind.js';
import {
  calendarDate,
  compact,
  hhmm,
  idProblem,
  notAnObject,
  optionalInt,
  optionalString,
  plainObject,
  positiveId,
} from './fields.js';
import { parseLocation, parseRecord, parseService, parseStaff, type RecordParse } from './schemas.js';

export { isCalendarDate } from './fields.js';

export function parseClientRecord(input: unknown): RecordParse<ClientRecord> {
  return parseRecord(input, 'clientId', (id, raw) =>
    compact({
      id,
      businessId: optionalInt(raw.businessId),
      firstName: optionalString(raw.firstName),
      lastName: optionalString(raw.lastName),
      email: optionalString(raw.emailAddress),
      phone: optionalString(raw.cellPhone) ?? optionalString(raw.homePhone) ?? optionalString(raw.workPhone),
      city: optionalString(raw.city),
      raw,
    }),
  );
}

export function parseAppointment(input: unknown): RecordParse<AppointmentRecord> {
  const raw = plainObject(input);
  if (raw === undefined) return { ok: false, reason: notAnObject(input) };
  // The docs' examples spell it both ways; one object never needs both.
  const field = raw.calendarId !== undefined ? 'calendarId' : 'calendarid';
  const id = positiveId(raw[field]);
  if (id === undefined) return { ok: false, reason: idProblem(raw, field) };
  const nested = {
    location: nestedOf(raw.location, parseLocation),
    staff: nestedOf(raw.staff, parseStaff),
    service: nestedOf(raw.reason, parseService),
    client: nestedOf(raw.client, parseClientRecord),
  };
  return {
    ok: true,
    value: compact({
      id,
      businessId: optionalInt(raw.businessId),
      locationId: nested.location?.id,
      staffId: nested.staff?.id,
      serviceId: nested.service?.id,
      clientId: nested.client?.id,
      status: optionalString(raw.status),
      subStatus: optionalString(raw.subStatus),
      startDate: calendarDate(raw.startDate),
      endDate: calendarDate(raw.endDate),
      startTime: hhmm(raw.startTime),
      endTime: hhmm(raw.endTime),
      recurringAppointmentId: positiveId(raw.recurringAppointmentId),
      kind: appointmentKind(raw),
      nested: compact(nested),
      raw,
    }),
  };
}

function nestedOf<T>(value: unknown, parse: (input: unknown) => RecordParse<T>): T | undefined {
  if (value === undefined || value === null) return undefined;
  const parsed = parse(value);
  return parsed.ok ? parsed.value : undefined;
}
