/**
 * What `pseudonymous` and `none` keep of an object that is a client or holds one: an allow-list,
 * not a list of personal fields to remove. TimeTap adds fields without telling anyone (a
 * `clientName` beside the nested client, a `clientList` of whole clients for a class, a `note`,
 * custom `fields` answered by the client): a removal list lets each of them through into `raw`,
 * an allow-list keeps only what is known to say nothing about a person, whatever the key names.
 *
 * - A client (an object with a `clientId`, or whatever sits in an appointment's `client`) keeps
 *   the mode's fields: its ids, and under `pseudonymous` the keyed hash of its e-mail address.
 * - An appointment keeps the fields of timetap-api.md that describe the booking (ids, status,
 *   dates and times, the nested location, staff and service); anything else goes.
 * - Any other object that holds a client somewhere inside (a location object carrying a client)
 *   keeps its ids only, and so on down.
 * Objects that neither are nor hold a client (the nested location, staff and service as TimeTap
 * sends them) are kept as they are: they describe the business, which the mirror keeps whole.
 */
import { createHmac } from 'node:crypto';

export type ClientDataMode = 'full' | 'pseudonymous' | 'none';

export interface ClientDataPolicy {
  mode: ClientDataMode;
  /** The key of the e-mail hash: without it the hash of a known address cannot be recomputed. */
  hashKey: string;
}

/** The fields of a client each mode keeps (`emailHash` is computed, see reduceClient). */
export const KEPT_CLIENT_FIELDS: Record<Exclude<ClientDataMode, 'full'>, readonly string[]> = {
  pseudonymous: ['clientId', 'businessId', 'emailHash'],
  none: ['clientId'],
};

/**
 * An appointment's fields known to say nothing about its client (timetap-api.md): ids, the
 * booking's state, its dates and times (the client's own clock included), the nested location,
 * staff and service, and the client slot, which is reduced as a client.
 */
export const APPOINTMENT_FIELDS: readonly string[] = [
  'calendarId',
  'calendarid',
  'businessId',
  'locationId',
  'staffId',
  'professionalId',
  'reasonId',
  'clientId',
  'status',
  'subStatus',
  'startDate',
  'endDate',
  'startTime',
  'endTime',
  'clientStartDate',
  'clientEndDate',
  'clientStartTime',
  'clientEndTime',
  'recurringAppointmentId',
  // What tells a booking from a class or time off (timetap/appointment-kind.ts).
  'appointmentType',
  'type',
  'objectType',
  'calendarType',
  'eventType',
  'timeOff',
  'isTimeOff',
  'isClass',
  'classScheduleId',
  'classId',
  'createdDate',
  'modifiedDate',
  'location',
  'staff',
  'reason',
  'client',
];
const APPOINTMENT_FIELD_SET = new Set(APPOINTMENT_FIELDS);

/** What any other object holding a client keeps: the ids that tie it to the mirror's rows. */
const ID_FIELDS = new Set([
  'locationId',
  'professionalId',
  'staffId',
  'reasonId',
  'businessId',
  'calendarId',
  'calendarid',
  'clientId',
]);

/** HMAC-SHA256 (hex) of the trimmed, lower-cased address: the same person, the same hash. */
export function emailHash(email: string, hashKey: string): string {
  return createHmac('sha256', hashKey).update(email.trim().toLowerCase()).digest('hex');
}

/** The hash of an address worth hashing (a non-empty string), else undefined. */
export function optionalEmailHash(email: unknown, hashKey: string): string | undefined {
  return typeof email === 'string' && email.trim() !== '' ? emailHash(email, hashKey) : undefined;
}

/**
 * A client object (TimeTap's, or one reduced before) as the policy keeps it. Idempotent: an
 * object reduced once is returned equal, so that stored rows can be reduced again to the same
 * content hash (an `emailHash` already there is kept when no address is left to hash).
 */
export function reduceClient(
  raw: Record<string, unknown>,
  policy: ClientDataPolicy,
): Record<string, unknown> {
  if (policy.mode === 'full') return raw;
  const out: Record<string, unknown> = {};
  if (raw.clientId !== undefined) out.clientId = raw.clientId;
  if (policy.mode === 'none') return out;
  if (raw.businessId !== undefined) out.businessId = raw.businessId;
  const hash = optionalEmailHash(raw.emailAddress, policy.hashKey) ?? raw.emailHash;
  if (hash !== undefined) out.emailHash = hash;
  return out;
}

/**
 * An appointment's `raw` as the policy keeps it: its known fields only, its `client` (an object,
 * or a list of them; anything else there is dropped) reduced, and any client nested deeper
 * reduced with the objects that hold it. Idempotent, as reduceClient is.
 */
export function reduceAppointmentRaw(
  raw: Record<string, unknown>,
  policy: ClientDataPolicy,
): Record<string, unknown> {
  if (policy.mode === 'full') return raw;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!APPOINTMENT_FIELD_SET.has(key)) continue;
    if (key === 'client') {
      const client = reduceClientSlot(value, policy);
      if (client !== DROP) out.client = client;
    } else {
      out[key] = reduceHeld(value, policy, 0);
    }
  }
  return out;
}

const DROP = Symbol('drop');

/** What TimeTap puts where the client goes: one, a list (a class), null, or junk (dropped). */
function reduceClientSlot(value: unknown, policy: ClientDataPolicy): unknown {
  if (value === null || value === undefined) return value;
  if (isPlainObject(value)) return reduceClient(value, policy);
  if (Array.isArray(value)) return value.filter(isPlainObject).map((c) => reduceClient(c, policy));
  return DROP;
}

/** Past this depth an object is dropped, not walked: TimeTap's objects are a few levels deep. */
const MAX_DEPTH = 32;

/** A value inside an object that holds a client: reduced if it is or holds one, else kept. */
function reduceHeld(value: unknown, policy: ClientDataPolicy, depth: number): unknown {
  if (!holdsClient(value, depth)) return value;
  if (Array.isArray(value)) return value.map((item) => reduceHeld(item, policy, depth + 1));
  const object = value as Record<string, unknown>;
  if (isClient(object)) return reduceClient(object, policy);
  const out: Record<string, unknown> = {};
  if (depth >= MAX_DEPTH) return out;
  for (const [key, inner] of Object.entries(object)) {
    if (ID_FIELDS.has(key) && !holdsClient(inner, depth + 1)) out[key] = inner;
  }
  return out;
}

/** A client, whatever the key it sits under: it has a `clientId` and is no appointment. */
function isClient(value: Record<string, unknown>): boolean {
  return 'clientId' in value && !('calendarId' in value) && !('calendarid' in value);
}

/** Whether `value` is a client or has one anywhere inside (objects and arrays). */
function holdsClient(value: unknown, depth = 0): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (depth >= MAX_DEPTH) return true; // too deep to tell: treated as personal
  if (Array.isArray(value)) return value.some((item) => holdsClient(item, depth + 1));
  const object = value as Record<string, unknown>;
  if (isClient(object)) return true;
  for (const key in object) if (holdsClient(object[key], depth + 1)) return true;
  return false;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
