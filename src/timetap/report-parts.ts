/**
 * How a report query is cut into smaller ones: by dates (halves, down to a single day, or pieces
 * of at most a given number of days), then a single day by status. Dates are calendar dates
 * computed in UTC, so that no daylight saving shift can skip or repeat a day; the parts of a
 * query cover exactly its dates and statuses, each once.
 */
import type { ReportQuery } from './client.js';

const DAY_MS = 86_400_000;

const dayOf = (date: string) => Date.parse(`${date}T00:00:00Z`) / DAY_MS;
const dateOf = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** The days a query covers, both ends included. */
export function daysOf(query: ReportQuery): number {
  return dayOf(query.endDate) - dayOf(query.startDate) + 1;
}

/**
 * With `maxDays`: consecutive pieces of at most that many days. Without: the two halves of a
 * range of several days, or one query per status of a single day; [] when neither is possible.
 */
export function splitQuery(query: ReportQuery, maxDays?: number): ReportQuery[] {
  const first = dayOf(query.startDate);
  const last = dayOf(query.endDate);
  const range = (from: number, to: number): ReportQuery => ({
    ...query,
    startDate: dateOf(from),
    endDate: dateOf(to),
  });
  if (maxDays !== undefined) {
    const pieces: ReportQuery[] = [];
    for (let from = first; from <= last; from += maxDays)
      pieces.push(range(from, Math.min(last, from + maxDays - 1)));
    return pieces;
  }
  if (last > first) {
    const middle = first + Math.floor((last - first) / 2);
    return [range(first, middle), range(middle + 1, last)];
  }
  const statuses = query.statuses ?? [];
  if (statuses.length > 1) return statuses.map((status) => ({ ...query, statuses: [status] }));
  return [];
}
