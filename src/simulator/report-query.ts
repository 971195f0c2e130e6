/**
 * The query of `/appointmentList/report` and `/appointmentList/reportWithCount`, read as strictly
 * as the docs allow: `startDate` and `endDate` are required real dates (YYYY-MM-DD, inclusive);
 * `statusList` names documented statuses; the `...IdList`s are positive integer ids; all lists are
 * comma-separated without blanks. Anything else is a 400, so a client that sends a malformed
 * query finds out here rather than from a real account that might guess differently.
 */

import { badRequest, type RouteResult } from './answers.js';
import type { AppointmentFilter } from './appointment-index.js';
import { isAppointmentStatus } from './appointment-objects.js';
import { parseDay } from './dates.js';
import { isPage, readPage } from './paging.js';
import type { ReportPaging } from './switches.js';

export interface ReportRequest {
  filter: AppointmentFilter;
  offset: number;
  size: number;
}

const ID = /^[1-9][0-9]{0,15}$/;

/** A comma-separated list: undefined when absent, a 400 when empty or when an item is not valid. */
function readList<T>(
  query: Record<string, string>,
  name: string,
  read: (item: string) => T | undefined,
): T[] | undefined | RouteResult {
  const text = query[name];
  if (text === undefined) return undefined;
  const items: T[] = [];
  for (const item of text.split(',')) {
    const value = read(item);
    if (value === undefined) return badRequest(`${name} has an invalid item ${JSON.stringify(item)}`);
    items.push(value);
  }
  return items;
}

const isError = (value: unknown): value is RouteResult =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && 'status' in value;

export function readReportQuery(
  query: Record<string, string>,
  paging: Required<ReportPaging>,
): ReportRequest | RouteResult {
  const { startDate, endDate } = query;
  if (startDate === undefined || endDate === undefined) {
    return badRequest('startDate and endDate are required (YYYY-MM-DD)');
  }
  const from = parseDay(startDate);
  const to = parseDay(endDate);
  if (from === undefined) return badRequest('startDate must be a date YYYY-MM-DD');
  if (to === undefined) return badRequest('endDate must be a date YYYY-MM-DD');
  if (to < from) return badRequest('endDate must not be before startDate');

  const statuses = readList(query, 'statusList', (item) => (isAppointmentStatus(item) ? item : undefined));
  if (isError(statuses)) return statuses;
  const id = (item: string) => (ID.test(item) ? Number(item) : undefined);
  const locationIds = readList(query, 'locationIdList', id);
  if (isError(locationIds)) return locationIds;
  const staffIds = readList(query, 'staffIdList', id);
  if (isError(staffIds)) return staffIds;
  const reasonIds = readList(query, 'reasonIdList', id);
  if (isError(reasonIds)) return reasonIds;

  const page = readPage(query, { mode: 'paged', ...paging });
  if (!isPage(page)) return page;
  if (page.kind !== 'slice') throw new Error('a paged mode answers slices');
  const filter: AppointmentFilter = { from: startDate, to: endDate };
  if (statuses) filter.statuses = statuses;
  if (locationIds) filter.locationIds = locationIds;
  if (staffIds) filter.staffIds = staffIds;
  if (reasonIds) filter.reasonIds = reasonIds;
  return { filter, offset: page.offset, size: page.size };
}

export function isReportRequest(value: ReportRequest | RouteResult): value is ReportRequest {
  return 'filter' in value;
}
