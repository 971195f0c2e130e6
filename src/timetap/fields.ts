/**
 * The field readers of the record parsers (schemas.ts, appointment-schemas.ts): each takes what
 * TimeTap sent in one field and returns it when it has the expected type, or undefined, so that a
 * wrong-typed optional field counts as absent rather than rejecting its record.
 *
 * Plain functions rather than a schema library: a backfill parses every appointment it reads, and
 * zod's object schemas (which copy each object, nested ones included) cost about 13 µs per
 * appointment against 1 µs for these (bench 6's appointments; a large share of its CPU). The rules
 * are the ones those schemas had: integers are safe integers, ids positive ones, an object is a
 * plain object and never an array.
 */

export function plainObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

export function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function optionalInt(value: unknown): number | undefined {
  return Number.isSafeInteger(value) ? (value as number) : undefined;
}

/** What every record needs: a positive integer (a numeric string hints at another object). */
export function positiveId(value: unknown): number | undefined {
  return Number.isSafeInteger(value) && (value as number) > 0 ? (value as number) : undefined;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `YYYY-MM-DD` of a day that exists (2026-02-30 has the shape of a date and is none). */
export function isCalendarDate(text: string): boolean {
  const match = DATE.exec(text);
  if (!match) return false;
  const day = new Date(0);
  day.setUTCFullYear(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return day.getUTCMonth() === Number(match[2]) - 1 && day.getUTCDate() === Number(match[3]);
}

export function calendarDate(value: unknown): string | undefined {
  return typeof value === 'string' && isCalendarDate(value) ? value : undefined;
}

/** An HHmm time of a real clock; 2400 is the end of a day, as TimeTap writes an end at midnight. */
export function hhmm(value: unknown): number | undefined {
  return Number.isSafeInteger(value) &&
    (value as number) >= 0 &&
    (value as number) <= 2400 &&
    (value as number) % 100 < 60
    ? (value as number)
    : undefined;
}

/** Why a record's id is unusable, never the value itself. */
export function idProblem(record: Record<string, unknown>, field: string): string {
  return `${field}: ${record[field] === undefined ? 'missing' : 'must be a positive integer'}`;
}

/** Why what should be a record is not an object. */
export function notAnObject(value: unknown): string {
  const kind = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  return `not an object (${kind})`;
}

/**
 * The keys whose value is not undefined, so that "absent" has one shape. A copy rather than
 * `delete`, which turns an object into a slow dictionary.
 */
export function compact<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const key in value) {
    if (value[key] !== undefined) out[key] = value[key];
  }
  return out as T;
}
