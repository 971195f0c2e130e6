/**
 * Validation at the boundary. Each record must carry a usable id (a positive integer number; a
 * numeric string is not accepted, since TimeTap sends numbers and anything else hints at a
 * different object). The few typed fields we read are optional and a wrong-typed one is treated
 * as absent rather than rejecting the record. `raw` is the object exactly as TimeTap sent it.
 */
import { z } from 'zod';
import type { LocationRecord, ServiceRecord, StaffRecord } from '../records.js';
import { locationTimeZone } from './time-zone.js';

const id = z.number().int().positive();
const optionalString = z.string().optional().catch(undefined);
const optionalInt = z.number().int().optional().catch(undefined);

const locationSchema = z
  .object({
    locationId: id,
    businessId: optionalInt,
    locationName: optionalString,
    locationType: optionalString,
  })
  .loose();

const staffSchema = z
  .object({
    professionalId: id,
    businessId: optionalInt,
    userName: optionalString,
    email: optionalString,
    firstName: optionalString,
    lastName: optionalString,
    fullName: optionalString,
    timeZoneCode: z.object({ timeZoneCode: optionalString }).loose().optional().catch(undefined),
  })
  .loose();

const serviceSchema = z
  .object({
    reasonId: id,
    businessId: optionalInt,
    reasonDesc: optionalString,
    visitMinutes: optionalInt,
    reasonType: optionalString,
  })
  .loose();

/** Either the mapped record or why it cannot be used (never the record's values). */
export type RecordParse<T> = { ok: true; value: T } | { ok: false; reason: string };

function parseWith<S extends z.ZodType, T>(
  schema: S,
  input: unknown,
  map: (data: z.infer<S>, raw: Record<string, unknown>) => T,
): RecordParse<T> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return {
      ok: false,
      reason: `not an object (${input === null ? 'null' : Array.isArray(input) ? 'array' : typeof input})`,
    };
  }
  const result = schema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    // Only the id can fail (the other fields fall back to absent); zod 4 does not report inputs.
    const field = issue?.path.map(String).join('.') || 'record';
    const present = (input as Record<string, unknown>)[field] !== undefined;
    return { ok: false, reason: `${field}: ${present ? 'must be a positive integer' : 'missing'}` };
  }
  return { ok: true, value: map(result.data, input as Record<string, unknown>) };
}

/** Drops keys whose value is undefined, so that "absent" has one shape. */
function compact<T extends object>(value: T): T {
  for (const key of Object.keys(value) as Array<keyof T>) {
    if (value[key] === undefined) delete value[key];
  }
  return value;
}

export function parseLocation(input: unknown): RecordParse<LocationRecord> {
  return parseWith(locationSchema, input, (d, raw) =>
    compact({
      id: d.locationId,
      businessId: d.businessId,
      name: d.locationName,
      locationType: d.locationType,
      timeZone: locationTimeZone(raw),
      raw,
    }),
  );
}

export function parseStaff(input: unknown): RecordParse<StaffRecord> {
  return parseWith(staffSchema, input, (d, raw) =>
    compact({
      id: d.professionalId,
      businessId: d.businessId,
      userName: d.userName,
      email: d.email,
      firstName: d.firstName,
      lastName: d.lastName,
      fullName: d.fullName,
      timeZone: d.timeZoneCode?.timeZoneCode,
      raw,
    }),
  );
}

export function parseService(input: unknown): RecordParse<ServiceRecord> {
  return parseWith(serviceSchema, input, (d, raw) =>
    compact({
      id: d.reasonId,
      businessId: d.businessId,
      name: d.reasonDesc,
      durationMinutes: d.visitMinutes,
      serviceType: d.reasonType,
      raw,
    }),
  );
}
