/**
 * The appointment and client endpoints:
 * - `/appointmentList/report`: the page, a bare JSON array;
 * - `/appointmentList/reportWithCount`: `{ [list]: page, [count]: total }`, the names from the
 *   reportWrapper switch (undocumented, so configurable); absent or unreadable under a variant;
 * - `/appointmentList/reportCount`: `{"count": N}` as seen in traffic (a variant changes its shape);
 * - `/appointments/{calendarId}`, `/clients`, `/clients/{clientId}`;
 * - `/clients/count`: a bare JSON number (e.g. `42`). The docs name the endpoint but not its
 *   answer; a number is what a count endpoint of a Java API most often returns, and it is the
 *   stricter guess: a client that copes with it copes with `{ "count": 42 }` by looking harder.
 * A report page past the end is `[]` (the count still the total). An empty report is not a 404
 * (unlike emptyListStatus's filtered lists): a report with a count has an honest empty answer.
 */

import { badRequest, gatewayPage, notFound, type RouteResult } from './answers.js';
import type { AppointmentFilter } from './appointment-index.js';
import { parseDay } from './dates.js';
import { isPage, pageOf, readPage } from './paging.js';
import type { Random } from './random.js';
import { isReportRequest, readReportQuery } from './report-query.js';
import { serveAppointment } from './serving.js';
import type { SimulatorData } from './store.js';
import type { Switches } from './switches.js';
import { pageInTieOrder } from './tie-order.js';

export type AppointmentSwitches = Pick<
  Switches,
  'listPaging' | 'reportWrapper' | 'reportPaging' | 'lowercaseCalendarId' | 'variants'
>;

export interface RouteHooks {
  /** Called after a report page was answered (200), with what it asked for: see churn.ts. */
  afterReportPage?(filter: AppointmentFilter): void;
  /** A fresh PRNG for the order of ties, per request (the report-order variant). */
  tieOrder?(): Random;
}

/** A positive integer id; undefined for anything else. */
function parseId(text: string): number | undefined {
  return /^[1-9][0-9]{0,15}$/.test(text) ? Number(text) : undefined;
}

function report(
  data: SimulatorData,
  variant: string | undefined,
  query: Record<string, string>,
  switches: AppointmentSwitches,
  hooks: RouteHooks,
): RouteResult {
  const { variants } = switches;
  const known = variant === 'report' || variant === 'reportWithCount' || variant === 'reportCount';
  if (!known || (variant === 'reportWithCount' && variants.reportWithCount === 'absent'))
    return notFound('no such endpoint');
  const request = readReportQuery(query, switches.reportPaging);
  if (!isReportRequest(request)) return request;
  const { filter } = request;
  const days = (parseDay(filter.to) ?? 0) - (parseDay(filter.from) ?? 0) + 1;
  if (variants.maxReportDays !== undefined && days > variants.maxReportDays)
    return badRequest(`a report covers at most ${variants.maxReportDays} days`);
  // Without statusList, a report holds only the statuses of the status-default variant.
  if (filter.statuses === undefined && variants.statusDefault) filter.statuses = variants.statusDefault;
  const matches = data.findAppointments(filter);
  if (variant === 'reportCount') return { status: 200, body: countBody(matches.length, variants) };
  const rows =
    variants.reportOrder === 'date-time' && hooks.tieOrder
      ? pageInTieOrder(matches, request.offset, request.size, hooks.tieOrder())
      : matches.slice(request.offset, request.offset + request.size);
  if (variants.gatewayTimeoutAbove !== undefined && rows.length > variants.gatewayTimeoutAbove)
    return gatewayPage(504, 'Gateway Time-out');
  const serving = { lowercaseCalendarId: switches.lowercaseCalendarId, ...variants };
  const page = rows.map((appointment) => serveAppointment(appointment, serving));
  const { list, count } = switches.reportWrapper;
  let body: unknown = page;
  if (variant === 'reportWithCount') {
    body =
      variants.reportWithCount === 'unreadable'
        ? { [list]: page, pages: [{ pageNumber: 1 }], [count]: matches.length, total: matches.length }
        : { [list]: page, [count]: matches.length };
  }
  hooks.afterReportPage?.(filter);
  return { status: 200, body };
}

function countBody(n: number, variants: AppointmentSwitches['variants']): unknown {
  switch (variants.reportCount) {
    case 'count':
      return { count: n };
    case 'number':
      return n;
    case 'totalCount':
      return { totalCount: n };
    default: {
      const never: never = variants.reportCount;
      throw new Error(`unknown reportCount ${String(never)}`);
    }
  }
}

function clients(
  data: SimulatorData,
  id: string | undefined,
  query: Record<string, string>,
  switches: AppointmentSwitches,
): RouteResult {
  if (id === 'count') return { status: 200, body: data.clients.size };
  if (id !== undefined) {
    const clientId = parseId(id);
    const client = clientId === undefined ? undefined : data.clients.get(clientId);
    return client ? { status: 200, body: client } : notFound('client not found');
  }
  // Account-wide, like /locations: paged only in listPaging's paged mode, [] when empty.
  const page = readPage(query, switches.listPaging);
  if (!isPage(page)) return page;
  return { status: 200, body: pageOf([...data.clients.values()], 'clientId', page) };
}

/** Answers the paths under `/appointmentList`, `/appointments` and `/clients`; undefined for others. */
export function routeAppointments(
  data: SimulatorData,
  collection: string | undefined,
  id: string | undefined,
  query: Record<string, string>,
  switches: AppointmentSwitches,
  hooks: RouteHooks,
): RouteResult | undefined {
  switch (collection) {
    case 'appointmentList':
      return report(data, id, query, switches, hooks);
    case 'appointments': {
      // No list lives at /appointments: the docs list appointments through the report only.
      const calendarId = id === undefined ? undefined : parseId(id);
      const appointment = calendarId === undefined ? undefined : data.appointments.get(calendarId);
      const serving = { lowercaseCalendarId: switches.lowercaseCalendarId, ...switches.variants };
      return appointment
        ? { status: 200, body: serveAppointment(appointment, serving) }
        : notFound('appointment not found');
    }
    case 'clients':
      return clients(data, id, query, switches);
    default:
      return undefined;
  }
}
