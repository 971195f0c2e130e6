/**
 * The TimeTap client: TimeTap's endpoints as typed calls, every list read whole (paging.ts) and
 * every record validated (schemas.ts). It knows no database, queue or simulator; the walk calls
 * it. How each request travels (limiter, login, session, retries) is the transport's business.
 */
import { MalformedResponseError } from '../errors.js';
import { readAllPages } from './paging.js';
import {
  parseLocation,
  parseService,
  parseStaff,
  type RecordParse,
  type TimeTapLocation,
  type TimeTapService,
  type TimeTapStaff,
} from './schemas.js';
import type { ClientStats } from './stats.js';
import { createTransport, type TransportDeps } from './transport.js';

export interface SkippedRecord {
  /** e.g. 'GET /staff?locationId=1003' (ids only, never a secret) */
  list: string;
  index: number;
  reason: string;
}

export interface ListResult<T> {
  items: T[];
  skipped: SkippedRecord[];
}

export interface TimeTapClient {
  listLocations(): Promise<ListResult<TimeTapLocation>>;
  /** Without an id: the account-wide `GET /staff`. */
  listStaff(locationId?: number): Promise<ListResult<TimeTapStaff>>;
  listServices(locationId?: number, staffId?: number): Promise<ListResult<TimeTapService>>;
  /** NotFoundError on 404. */
  getLocation(id: number): Promise<TimeTapLocation>;
  getStaff(id: number): Promise<TimeTapStaff>;
  getService(id: number): Promise<TimeTapService>;
  /** Forces a login (used by `check`). */
  login(): Promise<void>;
  stats(): ClientStats;
}

/** What the client needs: the transport's dependencies (transport.ts). */
export type TimeTapClientDeps = TransportDeps;

export function createTimeTapClient(deps: TimeTapClientDeps): TimeTapClient {
  const { config } = deps;
  const transport = createTransport(deps);
  const { logger, stats } = transport;
  const fetchJson = transport.getJson;

  /** Every page of a list (paging.ts); records without a usable id are skipped and reported. */
  async function list<T extends { id: number }>(
    endpoint: string,
    path: string,
    filter: Record<string, number | undefined>,
    parse: (input: unknown) => RecordParse<T>,
  ): Promise<ListResult<T>> {
    const result: ListResult<T> = { items: [], skipped: [] };
    const label = `GET ${withQuery(path, filter)}`;
    const pages = await readAllPages({
      pageSize: config.pageSize,
      label,
      readPage: async (pageNumber) => {
        const pagePath = withQuery(path, { ...filter, pageNumber, pageSize: config.pageSize });
        const body = await fetchJson(endpoint, pagePath);
        if (!Array.isArray(body)) {
          throw new MalformedResponseError(pagePath, `expected a JSON array, got ${describeKind(body)}`, {
            retryable: true,
          });
        }
        return body as unknown[];
      },
      accept: (input, index) => {
        const parsed = parse(input);
        if (parsed.ok) return { id: parsed.value.id, value: parsed.value };
        const skipped: SkippedRecord = { list: label, index, reason: parsed.reason };
        result.skipped.push(skipped);
        stats.add('skipped');
        logger.warn(skipped, 'skipped a TimeTap record without a usable id');
        return undefined;
      },
    });
    result.items = pages.values;
    if (pages.pages > 1) logger.debug({ list: label, pages: pages.pages }, 'read a paged list');
    return result;
  }

  async function single<T>(kind: string, id: number, parse: (input: unknown) => RecordParse<T>): Promise<T> {
    if (!Number.isInteger(id) || id <= 0) throw new RangeError(`${kind} id must be a positive integer`);
    const path = `/${kind}/${id}`;
    const parsed = parse(await fetchJson(`GET /${kind}/{id}`, path));
    if (!parsed.ok) throw new MalformedResponseError(path, parsed.reason, { retryable: false });
    return parsed.value;
  }

  return {
    listLocations: () => list('GET /locations', '/locations', {}, parseLocation),
    listStaff: (locationId) => list('GET /staff', '/staff', { locationId }, parseStaff),
    listServices: (locationId, staffId) =>
      list('GET /services', '/services', { locationId, staffId }, parseService),
    getLocation: (id) => single('locations', id, parseLocation),
    getStaff: (id) => single('staff', id, parseStaff),
    getService: (id) => single('services', id, parseService),
    login: () => transport.login(),
    stats: () => stats.snapshot(),
  };
}

/** Only non-secret ids ever go into a query string built here. */
function withQuery(path: string, ids: Record<string, number | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(ids)) {
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer`);
    params.set(name, String(value));
  }
  const query = params.toString();
  return query === '' ? path : `${path}?${query}`;
}

function describeKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
