/**
 * How many pages one list, or one read of a range of appointments, may take (TIMETAP_MAX_PAGES).
 * A list whose pages never shorten (new ids on every page) would otherwise be read until the heap
 * runs out: 10,000 pages of 25 held 850 MB, and of 1,000 records each they did not fit at all.
 * Records are what fill the memory, so the default is a number of records: as many pages as
 * hold DEFAULT_MAX_RECORDS at the page size asked for.
 */

/** Far above any account's staff, services, clients or a week's appointments. */
const DEFAULT_MAX_RECORDS = 100_000;

/** The configured limit, or as many pages as hold DEFAULT_MAX_RECORDS at `pageSize`. */
export function maxPagesFor(configured: number | undefined, pageSize: number): number {
  return configured ?? Math.max(1, Math.ceil(DEFAULT_MAX_RECORDS / Math.max(1, pageSize)));
}
