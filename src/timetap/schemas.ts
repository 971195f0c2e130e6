/**
 * Validation at the boundary. Each record must carry a usable id (a positive integer number; a
 * numeric string is not accepted, since TimeTap sends numbers and anything else hints at a
 * different object). The few typed fields we read are optional and a wrong-typed one is treated
 * as absent rather than rejecting the record (fields.ts). `raw` is the object exactly as TimeTap
 * sent it.
 */
import type { LocationRecord, ServiceRecord, StaffRecord } from '../records.js';
import {
  compact,
  idProblem,
  notAnObject,
  optionalInt,
  optionalString,
  plainObject,
  positiveId,
} from './fields.js';
import { locationTimeZone } from './time-zone.js';

/** Either the mapped record or why it cannot be used (never the record's values). */
export type RecordParse<T> = { ok: true; value: T } | { ok: false; reason: string };

/** A plain object with a usable id in `idField`, mapped; or why not. */
export function parseRecord<T>(
  input: unknown,
  idField: string,
  map: (id: number, raw: Record<string, unknown>) => T,
): RecordParse<T> {
  const raw = plainObject(input);
  if (raw === undefined) return { ok: false, reason: notAnObject(input) };
  const id = positiveId(raw[idField]);
  if (id === undefined) return { ok: false, reason: idProblem(raw, idField) };
  return { ok: true, value: map(id, raw) };
}

export function parseLocation(input: unknown): RecordParse<LocationRecord> {
  return parseRecord(input, 'locationId', (id, raw) =>
    compact({
      id,
      businessId: optionalInt(raw.businessId),
      name: optionalString(raw.locationName),
      locationType: optionalString(raw.locationType),
      timeZone: locationTimeZone(raw),
      raw,
    }),
  );
}

export function parseStaff(input: unknown): RecordParse<StaffRecord> {
  return parseRecord(input, 'professionalId', (id, raw) =>
    compact({
      id,
      businessId: optionalInt(raw.businessId),
      userName: optionalString(raw.userName),
      email: optionalString(raw.email),
      firstName: optionalString(raw.firstName),
      lastName: optionalString(raw.lastName),
      fullName: optionalString(raw.fullName),
      timeZone: optionalString(plainObject(raw.timeZoneCode)?.timeZoneCode),
      raw,
    }),
  );
}

export function parseService(input: unknown): RecordParse<ServiceRecord> {
  return parseRecord(input, 'reasonId', (id, raw) =>
    compact({
      id,
      businessId: optionalInt(raw.businessId),
      name: optionalString(raw.reasonDesc),
      durationMinutes: optionalInt(raw.visitMinutes),
      serviceType: optionalString(raw.reasonType),
      raw,
    }),
  );
}
