/**
 * The TimeTap client: TimeTap's endpoints as typed calls, every list read whole (paging.ts) and
 * every record validated (schemas.ts). It knows no database, queue or simulator; the walk calls
 * it. How each request travels (limiter, login, session, retries) is the transport's business.
 */
import type { DateRange } from '../dates.js';
import { MalformedResponseError, PageLimitError } from '../errors.js';
import {
  parseAppointment,
  parseClientRecord,
  type TimeTapAppointment,
  type TimeTapClientRecord,
} from './appointment-schemas.js';
import { maxPagesFor } from './page-limit.js';
import { readAllPages } from './paging.js';
import { readReportBody } from './report-body.js';
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
  /**
   * One page of `GET /appointmentList/reportWithCount` for the appointments that start within
   * [startDate, endDate] (inclusive, YYYY-MM-DD). A page may hold fewer records than asked for
   * (TimeTap enforces a maximum), so `received` and `count` say where the walk stands, not the page
   * size (appointment-chunk.ts reads a whole range).
   */
  appointmentPage(
    range: DateRange,
    pageNumber: number,
    pageSize: number,
  ): Promise<ReportPage<TimeTapAppointment>>;
  /** NotFoundError on 404: the appointment is gone. */
  getAppointment(id: number): Promise<TimeTapAppointment>;
  listClients(): Promise<ListResult<TimeTapClientRecord>>;
  getClient(id: number): Promise<TimeTapClientRecord>;
  /** Forces a login (used by `check`). */
  login(): Promise<void>;
  stats(): ClientStats;
}

export interface ReportPage<T> extends ListResult<T> {
  /** Records the page held, usable or not. */
  received: number;
  /** The total TimeTap reports for the whole range, when it does. */
  count?: number;
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
      maxPages: maxPagesFor(config.maxPages, config.pageSize),
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
        result.skipped.push(skip({ list: label, index, reason: parsed.reason }));
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

  async function appointmentPage(
    range: DateRange,
    pageNumber: number,
    pageSize: number,
  ): Promise<ReportPage<TimeTapAppointment>> {
    for (const date of [range.startDate, range.endDate]) {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new RangeError('dates must be YYYY-MM-DD');
    }
    const dates = `startDate=${range.startDate}&endDate=${range.endDate}`;
    // A read that gets this far was told of more pages than any range holds: it ends here.
    const maxPages = maxPagesFor(config.maxPages, pageSize);
    if (pageNumber > maxPages)
      throw new PageLimitError(`GET /appointmentList/reportWithCount?${dates}`, maxPages);
    const path = withQuery(`/appointmentList/reportWithCount?${dates}`, { pageNumber, pageSize });
    const body = readReportBody(await fetchJson('GET /appointmentList/reportWithCount', path), path);
    const page: ReportPage<TimeTapAppointment> = { items: [], skipped: [], received: body.records.length };
    if (body.count !== undefined) page.count = body.count;
    body.records.forEach((input, index) => {
      const parsed = parseAppointment(input);
      if (parsed.ok) page.items.push(parsed.value);
      else page.skipped.push(skip({ list: `GET ${path}`, index, reason: parsed.reason }));
    });
    return page;
  }

  function skip(skipped: SkippedRecord): SkippedRecord {
    stats.add('skipped');
    logger.warn(skipped, 'skipped a TimeTap record without a usable id');
    return skipped;
  }

  return {
    listLocations: () => list('GET /locations', '/locations', {}, parseLocation),
    listStaff: (locationId) => list('GET /staff', '/staff', { locationId }, parseStaff),
    listServices: (locationId, staffId) =>
      list('GET /services', '/services', { locationId, staffId }, parseService),
    getLocation: (id) => single('locations', id, parseLocation),
    getStaff: (id) => single('staff', id, parseStaff),
    getService: (id) => single('services', id, parseService),
    appointmentPage,
    getAppointment: (id) => single('appointments', id, parseAppointment),
    listClients: () => list('GET /clients', '/clients', {}, parseClientRecord),
    getClient: (id) => single('clients', id, parseClientRecord),
    login: () => transport.login(),
    stats: () => stats.snapshot(),
  };
}

/** Only non-secret ids ever go into a query string built here (after any query `path` has). */
function withQuery(path: string, ids: Record<string, number | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(ids)) {
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer`);
    params.set(name, String(value));
  }
  const query = params.toString();
  if (query === '') return path;
  return `${path}${path.includes('?') ? '&' : '?'}${query}`;
}

function describeKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
