/**
 * The last page worth asking for in one read of a range of appointments: as many as the first
 * page's count can justify at the size TimeTap served, plus room for the bookings made while the
 * read goes on (each pushes one record onto a later page): a tenth more, and at least two. A read
 * that gets there without reaching the count is inconsistent (read again, then kept incomplete),
 * however its pages go on: a report whose count keeps growing with its pages would otherwise be
 * read for 100,000 pages a read. A count that is itself absurd (1e12) justifies anything: the
 * client's TIMETAP_MAX_PAGES (page-limit.ts) ends that read.
 */

/** The first page of a read: its records, and the count of the whole range when TimeTap gave one. */
export interface FirstPage {
  received: number;
  count?: number;
}

/** At most `ceiling`; `ceiling` itself without a count (a bare array justifies no number). */
export function lastJustifiedPage(first: FirstPage, ceiling: number): number {
  if (first.count === undefined || first.received === 0) return ceiling;
  const counted = Math.ceil(Math.max(0, first.count) / first.received);
  return Math.min(ceiling, counted + Math.max(2, Math.ceil(counted / 10)));
}
