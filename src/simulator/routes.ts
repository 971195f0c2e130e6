/**
 * The read endpoints, as a pure function of the data (authentication happens before). Lists are
 * built from the link indexes, so a request costs O(its answer), never O(account).
 */
import type { RawObject } from './objects.js';
import type { SimulatorData } from './store.js';

export interface RouteResult {
  status: number;
  body: unknown;
}

const notFound = (what: string): RouteResult => ({
  status: 404,
  body: { error: 'Not Found', message: what },
});
const badRequest = (what: string): RouteResult => ({
  status: 400,
  body: { error: 'Bad Request', message: what },
});

function pick(map: Map<number, RawObject>, ids: Iterable<number>): RawObject[] {
  const out: RawObject[] = [];
  for (const id of ids) {
    const object = map.get(id);
    if (object) out.push(object);
  }
  return out;
}

/** Parses a positive integer id; undefined for anything else ("12abc", "-1", "1.5"). */
function parseId(text: string | undefined): number | undefined {
  if (text === undefined || !/^[1-9][0-9]{0,15}$/.test(text)) return undefined;
  return Number(text);
}

function single(map: Map<number, RawObject>, idText: string, what: string): RouteResult {
  const id = parseId(idText);
  const object = id === undefined ? undefined : map.get(id);
  return object ? { status: 200, body: object } : notFound(`${what} not found`);
}

function locationFilter(data: SimulatorData, query: Record<string, string>) {
  if (query.locationId === undefined) return { locationId: undefined };
  const locationId = parseId(query.locationId);
  if (locationId === undefined) return { error: badRequest('locationId must be a positive integer') };
  if (!data.locations.has(locationId)) return { error: notFound('location not found') };
  return { locationId };
}

export function route(data: SimulatorData, path: string, query: Record<string, string>): RouteResult {
  const [, collection, id, extra] = path.split('/');
  if (extra !== undefined) return notFound('no such endpoint');
  switch (collection) {
    case 'locations':
      if (id !== undefined) return single(data.locations, id, 'location');
      return { status: 200, body: [...data.locations.values()] };
    case 'staff': {
      if (id !== undefined) return single(data.staff, id, 'staff member');
      const filter = locationFilter(data, query);
      if (filter.error) return filter.error;
      if (filter.locationId === undefined) return { status: 200, body: [...data.staff.values()] };
      return { status: 200, body: pick(data.staff, data.locationStaff.get(filter.locationId) ?? []) };
    }
    case 'services': {
      if (id !== undefined) return single(data.services, id, 'service');
      const filter = locationFilter(data, query);
      if (filter.error) return filter.error;
      if (filter.locationId === undefined) {
        if (query.staffId !== undefined) return badRequest('staffId needs locationId');
        return { status: 200, body: [...data.services.values()] };
      }
      if (query.staffId === undefined) {
        return { status: 200, body: pick(data.services, data.locationServices.get(filter.locationId) ?? []) };
      }
      const staffId = parseId(query.staffId);
      if (staffId === undefined) return badRequest('staffId must be a positive integer');
      const offered = data.staffServices.get(filter.locationId)?.get(staffId) ?? [];
      return { status: 200, body: pick(data.services, offered) };
    }
    default:
      return notFound('no such endpoint');
  }
}
