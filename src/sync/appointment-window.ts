/**
 * Ranges of dates for the appointment walk: the rolling window that every full sync keeps fresh
 * (APPOINTMENTS_PAST_DAYS back and APPOINTMENTS_FUTURE_DAYS ahead of today), and its cut into
 * chunks of APPOINTMENTS_CHUNK_DAYS. Bounds are inclusive and chunks meet without a gap or an
 * overlap, so every date of the window belongs to exactly one chunk. Dates are plain calendar
 * dates (`YYYY-MM-DD`, as TimeTap's reports take them), computed in UTC so that no time zone or
 * daylight saving shift can skip or repeat a day.
 */
import type { DateRange } from '../timetap/index.js';

const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function parseDate(date: string): number {
  const match = DATE.exec(date);
  const time = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : Number.NaN;
  if (Number.isNaN(time) || formatDate(time) !== date) throw new RangeError(`not a date: ${date}`);
  return time;
}

export function formatDate(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  return formatDate(parseDate(date) + days * DAY_MS);
}

/** Today's date where the process runs, as TimeTap's users read "today" on a calendar (UTC). */
export function today(now = new Date()): string {
  return formatDate(now.getTime());
}

export function appointmentWindow(day: string, pastDays: number, futureDays: number): DateRange {
  return { startDate: addDays(day, -pastDays), endDate: addDays(day, futureDays) };
}

/** [startDate, endDate] cut into consecutive chunks of `days` (the last may be shorter). */
export function dateChunks(range: DateRange, days: number): DateRange[] {
  if (!Number.isInteger(days) || days < 1) throw new RangeError('days must be a whole number >= 1');
  const end = parseDate(range.endDate);
  const chunks: DateRange[] = [];
  for (let start = parseDate(range.startDate); start <= end; start += days * DAY_MS) {
    const chunkEnd = Math.min(start + (days - 1) * DAY_MS, end);
    chunks.push({ startDate: formatDate(start), endDate: formatDate(chunkEnd) });
  }
  return chunks;
}

/**
 * [startDate, endDate] cut at every multiple of `days` since 1970-01-01 (the first and last chunk
 * clipped to the range), so that two ranges that overlap cut their common dates alike: a
 * backfill asked again, for a wider range, finds the chunks an earlier one completed.
 */
export function alignedDateChunks(range: DateRange, days: number): DateRange[] {
  if (!Number.isInteger(days) || days < 1) throw new RangeError('days must be a whole number >= 1');
  const end = parseDate(range.endDate);
  const chunks: DateRange[] = [];
  for (let start = parseDate(range.startDate); start <= end; ) {
    const nextBoundary = (Math.floor(start / DAY_MS / days) + 1) * days * DAY_MS;
    const chunkEnd = Math.min(nextBoundary - DAY_MS, end);
    chunks.push({ startDate: formatDate(start), endDate: formatDate(chunkEnd) });
    start = chunkEnd + DAY_MS;
  }
  return chunks;
}
