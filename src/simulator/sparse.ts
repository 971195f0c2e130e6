/**
 * Sparse objects in the generated set. TimeTap's documented examples carry far fewer fields than
 * the objects the simulator makes (a staff member without any name, a reason without reasonType),
 * and the docs guarantee only the id fields; a mirror must cope with exactly those shapes. So a
 * fixed share of the generated objects, by position, is cut down to the documented key set.
 * Positions are chosen to spare the objects that carry the special strings (the NUL and the long
 * text at services 0 and 1, the emoji location at 1, the emoji staff at index % 50 === 4).
 */
import type { Kind, RawObject } from './objects.js';

/** The documented example's keys, in the docs' order. */
const DOCUMENTED_KEYS = {
  location: ['locationId', 'businessId', 'locationName', 'locationType', 'createdDate', 'privateUrl'],
  staff: ['professionalId', 'businessId', 'userName', 'email', 'timeZoneCode'],
  service: ['reasonId', 'businessId', 'reasonDesc', 'visitMinutes'],
} as const satisfies Record<Kind, readonly string[]>;

/** Which generated positions are sparse: every 5th location, every 4th staff member and service. */
function isSparse(kind: Kind, index: number): boolean {
  switch (kind) {
    case 'location':
      return index % 5 === 4;
    case 'staff':
      return index % 4 === 3;
    case 'service':
      return index % 4 === 2;
    default: {
      const never: never = kind;
      throw new Error(`unknown kind ${String(never)}`);
    }
  }
}

/** The one staff member with first and last name but no fullName (names from a second source). */
const NO_FULL_NAME_STAFF_INDEX = 6;

/** The object cut down to the documented example's keys. */
export function documentedShape(kind: Kind, object: RawObject): RawObject {
  return only(object, DOCUMENTED_KEYS[kind]);
}

function only(object: RawObject, keys: readonly string[]): RawObject {
  const out: RawObject = {};
  for (const key of keys) if (key in object) out[key] = object[key];
  return out;
}

/** The object as the generated set serves it at `index`: full, documented-sparse, or nameless. */
export function shapeAt(kind: Kind, index: number, object: RawObject): RawObject {
  if (isSparse(kind, index)) return only(object, DOCUMENTED_KEYS[kind]);
  if (kind === 'staff' && index === NO_FULL_NAME_STAFF_INDEX) {
    const { fullName: _dropped, ...rest } = object;
    return rest;
  }
  return object;
}
