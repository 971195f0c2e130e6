/**
 * The appointment and client endpoints:
 * - `/appointmentList/report`: the page, a bare JSON array;
 * - `/appointmentList/reportWithCount`: `{ [list]: page, [count]: total }`, the names from the
 *   reportWrapper switch (undocumented, so configurable);
 * - `/appointments/{calendarId}`, `/clients`, `/clients/{clientId}`;
 * - `/clients/count`: a bare JSON number (e.g. `42`). The docs name the endpoint but not its
 *   answer; a number is what a count endpoint of a Java API most often returns, and it is the
 *   stricter guess: a client that copes with it copes with `{ "count": 42 }` by looking harder.
 * A report page past the end is `[]` (the count still the total). An empty report is not a 404
 * (unlike emptyListStatus's filtered lists): a report with a count has an honest empty answer.
 */

import { notFound, type RouteResult } from './answers.js';
import type { AppointmentFilter } from './appointment-index.js';
import { served } from './appointment-objects.js';
import { isPage, pageOf, readPage } from './paging.js';
import { isReportRequest, readReportQuery } from './report-query.js';
import type { SimulatorData } from './store.js';
import type { Switches } from './switches.js';

export type AppointmentSwitches = Pick<
  Switches,
  'listPaging' | 'reportWrapper' | 'reportPaging' | 'lowercaseCalendarId'
>;

export interface RouteHooks {
  /** Called after a report page was answered (200), with what it asked for: see churn.ts. */
  afterReportPage?(filter: AppointmentFilter): void;
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
  if (variant !== 'report' && variant !== 'reportWithCount') return notFound('no such endpoint');
  const request = readReportQuery(query, switches.reportPaging);
  if (!isReportRequest(request)) return request;
  const matches = data.findAppointments(request.filter);
  const page = matches
    .slice(request.offset, request.offset + request.size)
    .map((appointment) => served(appointment, switches.lowercaseCalendarId));
  const { list, count } = switches.reportWrapper;
  const body = variant === 'report' ? page : { [list]: page, [count]: matches.length };
  hooks.afterReportPage?.(request.filter);
  return { status: 200, body };
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
      return appointment
        ? { status: 200, body: served(appointment, switches.lowercaseCalendarId) }
        : notFound('appointment not found');
    }
    case 'clients':
      return clients(data, id, query, switches);
    default:
      return undefined;
  }
}
