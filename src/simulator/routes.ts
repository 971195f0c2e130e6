/**
 * The read endpoints, as a pure function of the data and the switches (authentication happens
 * before). Lists are built from the link indexes, so a request costs O(its answer), never
 * O(account). Every list leaves hidden objects out; a single object's URL still shows them.
 * Appointments and clients are answered by appointment-routes.ts.
 */
import { badRequest, notFound, type RouteResult } from './answers.js';
import { type AppointmentSwitches, type RouteHooks, routeAppointments } from './appointment-routes.js';
import { ID_FIELD, type Kind, type RawObject } from './objects.js';
import { isPage, pageOf, readPage } from './paging.js';
import { serveLocation } from './serving.js';
import { documentedShape } from './sparse.js';
import type { SimulatorData } from './store.js';
import type { Switches } from './switches.js';

/** The switches the endpoints read (the token's budget is the server's business). */
export type ListSwitches = Pick<Switches, 'listPaging' | 'emptyListStatus' | 'documentedLocationLists'> &
  AppointmentSwitches;

/** Parses a positive integer id; undefined for anything else ("12abc", "-1", "1.5"). */
function parseId(text: string | undefined): number | undefined {
  if (text === undefined || !/^[1-9][0-9]{0,15}$/.test(text)) return undefined;
  return Number(text);
}

function single(
  data: SimulatorData,
  kind: Kind,
  idText: string,
  what: string,
  switches: ListSwitches,
): RouteResult {
  const id = parseId(idText);
  const object = id === undefined ? undefined : mapOf(data, kind).get(id);
  return object ? { status: 200, body: serve(kind, object, switches) } : notFound(`${what} not found`);
}

/** A location names its time zone as the location-time-zones variant says (serving.ts). */
function serve(kind: Kind, object: RawObject, switches: ListSwitches): RawObject {
  return kind === 'location' ? serveLocation(object, switches.variants.locationTimeZones) : object;
}

function mapOf(data: SimulatorData, kind: Kind): Map<number, RawObject> {
  switch (kind) {
    case 'location':
      return data.locations;
    case 'staff':
      return data.staff;
    case 'service':
      return data.services;
    default: {
      const never: never = kind;
      throw new Error(`unknown kind ${String(never)}`);
    }
  }
}

/**
 * A list's answer. `filter` names what a filtered list was filtered by: the docs do not say what
 * an empty one answers, so `emptyListStatus` decides; an account-wide list is simply `[]`.
 * Paging comes last, so a page past the end of a non-empty list is `[]`, never a 404.
 */
function list(
  data: SimulatorData,
  kind: Kind,
  ids: Iterable<number>,
  filter: string | undefined,
  query: Record<string, string>,
  switches: ListSwitches,
): RouteResult {
  const page = readPage(query, switches.listPaging);
  if (!isPage(page)) return page;
  const map = mapOf(data, kind);
  const objects: RawObject[] = [];
  const documented = filter !== undefined && switches.documentedLocationLists;
  for (const id of ids) {
    const object = map.get(id);
    if (object && !data.isHidden(kind, id))
      objects.push(serve(kind, documented ? documentedShape(kind, object) : object, switches));
  }
  if (objects.length === 0 && filter !== undefined && switches.emptyListStatus === 404) {
    return notFound(`no ${kind} matches ${filter}`);
  }
  return { status: 200, body: pageOf(objects, ID_FIELD[kind], page) };
}

function locationFilter(data: SimulatorData, query: Record<string, string>) {
  if (query.locationId === undefined) return { locationId: undefined };
  const locationId = parseId(query.locationId);
  if (locationId === undefined) return { error: badRequest('locationId must be a positive integer') };
  // Unknown is 404 whatever emptyListStatus says; hidden is not unknown (its lists still answer).
  if (!data.locations.has(locationId)) return { error: notFound('location not found') };
  return { locationId };
}

export function route(
  data: SimulatorData,
  path: string,
  query: Record<string, string>,
  switches: ListSwitches,
  hooks: RouteHooks = {},
): RouteResult {
  const [, collection, id, extra] = path.split('/');
  if (extra !== undefined) return notFound('no such endpoint');
  const appointments = routeAppointments(data, collection, id, query, switches, hooks);
  if (appointments) return appointments;
  switch (collection) {
    case 'locations':
      if (id !== undefined) return single(data, 'location', id, 'location', switches);
      return list(data, 'location', data.locations.keys(), undefined, query, switches);
    case 'staff': {
      if (id !== undefined) return single(data, 'staff', id, 'staff member', switches);
      const filter = locationFilter(data, query);
      if (filter.error) return filter.error;
      if (filter.locationId === undefined) {
        return list(data, 'staff', data.staff.keys(), undefined, query, switches);
      }
      const here = data.locationStaff.get(filter.locationId) ?? [];
      return list(data, 'staff', here, 'locationId', query, switches);
    }
    case 'services': {
      if (id !== undefined) return single(data, 'service', id, 'service', switches);
      const filter = locationFilter(data, query);
      if (filter.error) return filter.error;
      if (filter.locationId === undefined) {
        if (query.staffId !== undefined) return badRequest('staffId needs locationId');
        return list(data, 'service', data.services.keys(), undefined, query, switches);
      }
      if (query.staffId === undefined) {
        const here = data.locationServices.get(filter.locationId) ?? [];
        return list(data, 'service', here, 'locationId', query, switches);
      }
      const staffId = parseId(query.staffId);
      if (staffId === undefined) return badRequest('staffId must be a positive integer');
      // A staff member who does not work here offers nothing here: an empty result, not an error.
      const offered = data.staffServices.get(filter.locationId)?.get(staffId) ?? [];
      return list(data, 'service', offered, 'locationId and staffId', query, switches);
    }
    default:
      return notFound('no such endpoint');
  }
}
