/**
 * What a TimeTap webhook tells us: which appointment changed, nothing more. The body is a hint
 * (the job reads the appointment at its own URL and writes that), so only its id matters, and it
 * must be found however the body is spelled. TimeTap's own documented example is not JSON
 * (trailing commas, a missing comma, an unclosed object, `calendarid` in lower case), so:
 *   1. JSON.parse, then JSON5 (trailing commas, single quotes, comments), and the id is taken from
 *      the object: `calendarId` or `calendarid`, at the top or one level down;
 *   2. when neither parser reads the body, the id is found by pattern, and only when the body
 *      names exactly one (two different ids are a body we do not understand, not a guess to make).
 */
import JSON5 from 'json5';

export type AppointmentHint =
  | { ok: true; calendarId: number; readBy: 'json' | 'json5' | 'pattern' }
  | { ok: false; reason: 'empty' | 'no-id' | 'ambiguous-id' };

const ID_KEY = /^calendar_?id$/i;
/** `"calendarid": 123`, `calendarId: "123"`, `calendarId=123` (a form-encoded body). */
const ID_PATTERN = /["']?\bcalendar_?id["']?\s*[:=]\s*["']?(\d{1,16})(?!\d)/gi;

export function appointmentHintOf(body: string): AppointmentHint {
  if (body.trim() === '') return { ok: false, reason: 'empty' };
  for (const [readBy, parse] of [
    ['json', JSON.parse],
    ['json5', JSON5.parse],
  ] as const) {
    let value: unknown;
    try {
      value = parse(body);
    } catch {
      continue;
    }
    const id = idIn(value);
    return id === undefined ? { ok: false, reason: 'no-id' } : { ok: true, calendarId: id, readBy };
  }
  const ids = new Set<number>();
  for (const match of body.matchAll(ID_PATTERN)) {
    const id = asId(match[1]);
    if (id !== undefined) ids.add(id);
  }
  if (ids.size > 1) return { ok: false, reason: 'ambiguous-id' };
  const [id] = ids;
  return id === undefined ? { ok: false, reason: 'no-id' } : { ok: true, calendarId: id, readBy: 'pattern' };
}

/** The appointment's id: at the top of the object, else in one object one level down (a wrapper). */
function idIn(value: unknown): number | undefined {
  if (!isObject(value)) return undefined;
  const own = ownId(value);
  if (own !== undefined) return own;
  const nested = Object.values(value).flatMap((v) => {
    const id = isObject(v) ? ownId(v) : undefined;
    return id === undefined ? [] : [id];
  });
  return new Set(nested).size === 1 ? nested[0] : undefined;
}

function ownId(object: Record<string, unknown>): number | undefined {
  for (const [key, v] of Object.entries(object)) if (ID_KEY.test(key)) return asId(v);
  return undefined;
}

function asId(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d{1,16}$/.test(value.trim()) ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
