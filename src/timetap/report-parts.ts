/**
 * How a report query is cut into smaller ones: by dates (pieces of whole days), then a single
 * day by status. Dates are calendar dates computed in UTC, so that no daylight saving shift can
 * skip or repeat a day; the parts of a query cover exactly its dates and statuses, each once.
 */
import type { ReportQuery } from './api.js';

const DAY_MS = 86_400_000;

const dayOf = (date: string) => Date.parse(`${date}T00:00:00Z`) / DAY_MS;
const dateOf = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** The days a query covers, both ends included. */
export function daysOf(query: ReportQuery): number {
  return dayOf(query.endDate) - dayOf(query.startDate) + 1;
}

/** Consecutive pieces of at most `days` days each. */
export function cutByDays(query: ReportQuery, days: number): ReportQuery[] {
  const first = dayOf(query.startDate);
  const last = dayOf(query.endDate);
  const pieces: ReportQuery[] = [];
  for (let from = first; from <= last; from += days) {
    pieces.push({ ...query, startDate: dateOf(from), endDate: dateOf(Math.min(last, from + days - 1)) });
  }
  return pieces;
}

/** One query per status (of a query that names several). */
function cutByStatus(query: ReportQuery): ReportQuery[] {
  return (query.statuses ?? []).map((status) => ({ ...query, statuses: [status] }));
}

/** Whether a query can be cut at all: several days, or several statuses named. */
export function canCut(query: ReportQuery): boolean {
  return daysOf(query) > 1 || (query.statuses?.length ?? 0) > 1;
}

/** How full an estimated part may be: a part a little larger than guessed still fits a page. */
const FILL = 0.8;

/**
 * Parts of a query of `count` records that each fit in one page of `perPage`, going by the
 * average day: groups of whole days while a day fits (two parts at least), else single days, each
 * by status when it names several. A part that turns out larger is cut again by its reader.
 */
export function partsThatFit(query: ReportQuery, count: number, perPage: number): ReportQuery[] {
  const days = daysOf(query);
  const perDay = count / days;
  if (days > 1 && perDay <= perPage * FILL) {
    const span = Math.max(
      1,
      Math.min(Math.ceil(days / 2), Math.floor((perPage * FILL) / Math.max(perDay, 1e-9))),
    );
    return cutByDays(query, span);
  }
  const single = days > 1 ? cutByDays(query, 1) : [query];
  return single.flatMap((day) => ((day.statuses?.length ?? 0) > 1 ? cutByStatus(day) : [day]));
}
