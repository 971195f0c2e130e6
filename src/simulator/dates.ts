/**
 * Calendar dates and clock times as TimeTap's appointments carry them: dates are "YYYY-MM-DD"
 * strings, times are integers in HHmm form (8:00 is 800, 17:45 is 1745). Dates are handled as day
 * numbers (days since 1970-01-01, UTC) so that ranges are plain integer ranges; nothing here
 * reads a time zone, so the same input gives the same dates on every machine.
 */

const DAY_MS = 86_400_000;
export const MINUTES_PER_DAY = 24 * 60;

/** The day number of a strict "YYYY-MM-DD" that names a real calendar day; undefined otherwise. */
export function parseDay(text: string | undefined): number | undefined {
  if (text === undefined || !/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(text)) return undefined;
  const ms = Date.parse(`${text}T00:00:00Z`);
  // Date.parse rolls "2025-02-30" over to March; the round trip catches that.
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== text) return undefined;
  return ms / DAY_MS;
}

export function formatDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Epoch milliseconds of the day's midnight (UTC). */
export function dayStartMs(day: number): number {
  return day * DAY_MS;
}

/** 0 = Sunday ... 6 = Saturday. 1970-01-01 was a Thursday. */
export function weekday(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

/** Today's date in UTC: the default clock, so that two machines on one day agree. */
export function todayUtc(now: number = Date.now()): string {
  return new Date(now).toISOString().slice(0, 10);
}

/** Minutes after midnight as HHmm: 480 -> 800, 1425 -> 2345. Wraps around midnight. */
export function toHhmm(minutes: number): number {
  const wrapped = ((minutes % MINUTES_PER_DAY) + MINUTES_PER_DAY) % MINUTES_PER_DAY;
  return Math.floor(wrapped / 60) * 100 + (wrapped % 60);
}

/** HHmm as minutes after midnight; undefined for anything that is not a valid HHmm integer. */
export function fromHhmm(hhmm: unknown): number | undefined {
  if (typeof hhmm !== 'number' || !Number.isInteger(hhmm) || hhmm < 0) return undefined;
  const hours = Math.floor(hhmm / 100);
  const minutes = hhmm % 100;
  return hours < 24 && minutes < 60 ? hours * 60 + minutes : undefined;
}
