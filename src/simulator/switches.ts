/**
 * The run-time switches that make the simulator stricter or sparser than TimeTap's documentation
 * strictly requires, where the documentation is silent: how long a session token lives in calls,
 * whether lists are paged, and what an empty filtered list answers. Tests flip them while a
 * simulator runs; the defaults are the documented behaviour or, where the docs are silent, the
 * stricter of the plausible ones.
 */

import { resolveVariants, type Variants } from './variants.js';

/**
 * `all`: every list answers its whole result and ignores `pageNumber`/`pageSize` (what the docs
 * describe). `paged`: every list honours them (like the connectors that page `/locations`).
 */
export type ListPaging = { mode: 'all' } | { mode: 'paged'; defaultPageSize?: number; maxPageSize?: number };

export type EmptyListStatus = 200 | 404;

/**
 * The property names of `...List/reportWithCount`'s answer: the page and the total count. TimeTap
 * does not document them, so a client must not depend on them; tests rename them to prove it.
 */
export interface ReportWrapper {
  list: string;
  count: string;
}

/** Page sizes of the `...List/report` endpoints, which always page. */
export interface ReportPaging {
  defaultPageSize?: number;
  maxPageSize?: number;
}

export interface Switches {
  /** Authorized data calls one session token serves; undefined = unlimited. */
  tokenMaxCalls: number | undefined;
  listPaging: ListPaging;
  /** What a filtered list whose result is empty answers. */
  emptyListStatus: EmptyListStatus;
  reportWrapper: ReportWrapper;
  reportPaging: Required<ReportPaging>;
  /** Appointments carry `calendarid` (as some of the docs' examples spell it) instead of `calendarId`. */
  lowercaseCalendarId: boolean;
  /**
   * A location's staff and services lists answer the documented objects only (no names, no
   * reasonType), while the account-wide lists and the objects' own URLs answer them whole: two
   * copies of one object that differ, which a mirror must not write back and forth.
   */
  documentedLocationLists: boolean;
  /** What other people's traffic shows where the docs are silent (variants.ts). */
  variants: Variants;
}

export interface SwitchOptions {
  tokenMaxCalls?: number;
  listPaging?: ListPaging;
  emptyListStatus?: EmptyListStatus;
  reportWrapper?: ReportWrapper;
  reportPaging?: ReportPaging;
  lowercaseCalendarId?: boolean;
  documentedLocationLists?: boolean;
  variants?: Partial<Variants>;
}

/** TimeTap's `...List/report` endpoints default to 25 per page; the cap is our own guess. */
export const DEFAULT_PAGE_SIZE = 25;
export const DEFAULT_MAX_PAGE_SIZE = 100;
/** The docs do not say; 404 is the stricter answer, so a client that copes with it copes with both. */
const DEFAULT_EMPTY_LIST_STATUS: EmptyListStatus = 404;

export function checkTokenMaxCalls(n: number | undefined): number | undefined {
  if (n !== undefined && (!Number.isSafeInteger(n) || n < 0)) {
    throw new RangeError('simulator: tokenMaxCalls must be an integer >= 0 or undefined');
  }
  return n;
}

/** The page sizes of a paged mode, defaults filled in. */
export function pageSizes(paging: Extract<ListPaging, { mode: 'paged' }>): {
  defaultPageSize: number;
  maxPageSize: number;
} {
  return {
    defaultPageSize: paging.defaultPageSize ?? DEFAULT_PAGE_SIZE,
    maxPageSize: paging.maxPageSize ?? DEFAULT_MAX_PAGE_SIZE,
  };
}

export function checkListPaging(paging: ListPaging): ListPaging {
  switch (paging.mode) {
    case 'all':
      return { mode: 'all' };
    case 'paged': {
      const sizes = pageSizes(paging);
      for (const [name, value] of Object.entries(sizes)) {
        if (!Number.isSafeInteger(value) || value < 1)
          throw new RangeError(`simulator: listPaging.${name} must be an integer >= 1`);
      }
      return { mode: 'paged', ...sizes };
    }
    default: {
      const never: never = paging;
      throw new RangeError(`simulator: unknown listPaging ${JSON.stringify(never)}`);
    }
  }
}

export function checkEmptyListStatus(status: EmptyListStatus): EmptyListStatus {
  if (status !== 200 && status !== 404) throw new RangeError('simulator: emptyListStatus must be 200 or 404');
  return status;
}

/** Our guess at the names, until someone sees a real answer; configurable (see ReportWrapper). */
const DEFAULT_REPORT_WRAPPER: ReportWrapper = { list: 'objects', count: 'count' };

export function checkReportWrapper(wrapper: ReportWrapper): ReportWrapper {
  const { list, count } = wrapper;
  if (
    typeof list !== 'string' ||
    typeof count !== 'string' ||
    list === '' ||
    count === '' ||
    list === count
  ) {
    throw new RangeError('simulator: reportWrapper needs two different, non-empty property names');
  }
  return { list, count };
}

export function checkReportPaging(paging: ReportPaging): Required<ReportPaging> {
  const sizes = {
    defaultPageSize: paging.defaultPageSize ?? DEFAULT_PAGE_SIZE,
    maxPageSize: paging.maxPageSize ?? DEFAULT_MAX_PAGE_SIZE,
  };
  for (const [name, value] of Object.entries(sizes)) {
    if (!Number.isSafeInteger(value) || value < 1)
      throw new RangeError(`simulator: reportPaging.${name} must be an integer >= 1`);
  }
  return sizes;
}

export function resolveSwitches(options: SwitchOptions = {}): Switches {
  return {
    tokenMaxCalls: checkTokenMaxCalls(options.tokenMaxCalls),
    listPaging: checkListPaging(options.listPaging ?? { mode: 'all' }),
    emptyListStatus: checkEmptyListStatus(options.emptyListStatus ?? DEFAULT_EMPTY_LIST_STATUS),
    reportWrapper: checkReportWrapper(options.reportWrapper ?? DEFAULT_REPORT_WRAPPER),
    reportPaging: checkReportPaging(options.reportPaging ?? {}),
    lowercaseCalendarId: options.lowercaseCalendarId ?? false,
    documentedLocationLists: options.documentedLocationLists ?? false,
    variants: resolveVariants(options.variants),
  };
}

/** One line for the standalone banner. */
export function describeSwitches(switches: Switches): string {
  const paging = switches.listPaging;
  let lists: string;
  switch (paging.mode) {
    case 'all':
      lists = 'lists unpaged';
      break;
    case 'paged': {
      const { defaultPageSize, maxPageSize } = pageSizes(paging);
      lists = `lists paged (default page size ${defaultPageSize}, max ${maxPageSize})`;
      break;
    }
    default: {
      const never: never = paging;
      throw new Error(`unknown listPaging ${JSON.stringify(never)}`);
    }
  }
  const calls = switches.tokenMaxCalls === undefined ? 'unlimited' : String(switches.tokenMaxCalls);
  return `switches: token max calls ${calls}; ${lists}; empty filtered list ${switches.emptyListStatus}`;
}
