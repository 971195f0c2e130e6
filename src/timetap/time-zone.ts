/**
 * A location's time zone as TimeTap names it. Traffic shows it in a `timeZone` object
 * (`{timeZoneId, timeZoneCode: "America/New_York", timeZoneDesc}`), or as a legacy name in
 * `timeZoneCode` (`"US/Pacific"`, sometimes an object of the same shape as the staff's), and either
 * may be null. A name counts only when it is a zone this runtime knows (the IANA database, its
 * legacy aliases included): anything else is left out, and `raw` keeps it.
 */

const known = new Map<string, boolean>();

/** True for an IANA zone name (or a legacy alias of one) that this runtime can convert with. */
export function isTimeZoneName(name: string): boolean {
  let ok = known.get(name);
  if (ok === undefined) {
    // "UTC" and "EST" pass Intl, but they are not what TimeTap names; only Area/Location names.
    ok = /^[A-Za-z]+(?:\/[A-Za-z0-9_+-]+)+$/.test(name) && canConvert(name);
    if (known.size < 1000) known.set(name, ok);
  }
  return ok;
}

function canConvert(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The zone a location object names: `timeZone.timeZoneCode`, else `timeZoneCode`; undefined for none. */
export function locationTimeZone(raw: Record<string, unknown>): string | undefined {
  for (const candidate of [codeOf(raw.timeZone), codeOf(raw.timeZoneCode)]) {
    if (candidate !== undefined && isTimeZoneName(candidate)) return candidate;
  }
  return undefined;
}

/** A name given as a string, or in an object's `timeZoneCode`. */
function codeOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const code = (value as Record<string, unknown>).timeZoneCode;
    if (typeof code === 'string') return code.trim();
  }
  return undefined;
}
