/**
 * The TimeTap API client (`TimeTapApi`; "client" alone, in this project, is a customer of the
 * business, a row of `clients`): TimeTap's endpoints as typed calls, every list read whole (paging.ts) and
 * every record validated (schemas.ts). It knows no database, queue or simulator; the walk calls
 * it. How each request travels (limiter, login, session, retries) is the transport's business.
 */
import type { DateRange } from '../dates.js';
import { MalformedResponseError, NotFoundError, PageLimitError, TimeTapHttpError } from '../errors.js';
import type {
  AppointmentRecord,
  ClientRecord,
  LocationRecord,
  ServiceRecord,
  StaffRecord,
} from '../records.js';
import { parseAppointment, parseClientRecord } from './appointment-schemas.js';
import { ExchangeError } from './http.js';
import { maxPagesFor } from './page-limit.js';
import { readAllPages } from './paging.js';
import { readCountBody, readReportBody, UnreadableReportError } from './report-body.js';
import {
  createProcessReportMemory,
  createReportEndpoints,
  type ReportEndpoint,
  type ReportMemory,
} from './report-endpoint.js';
import { parseLocation, parseService, parseStaff, type RecordParse } from './schemas.js';
import type { ApiStats } from './stats.js';
import { createTransport, type Transport, type TransportDeps } from './transport.js';

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

export interface TimeTapApi {
  listLocations(): Promise<ListResult<LocationRecord>>;
  /** Without an id: the account-wide `GET /staff`. */
  listStaff(locationId?: number): Promise<ListResult<StaffRecord>>;
  listServices(locationId?: number, staffId?: number): Promise<ListResult<ServiceRecord>>;
  /** NotFoundError on 404. */
  getLocation(id: number): Promise<LocationRecord>;
  getStaff(id: number): Promise<StaffRecord>;
  getService(id: number): Promise<ServiceRecord>;
  /**
   * One page of the appointments that start within [startDate, endDate] (inclusive, YYYY-MM-DD,
   * at most MAX_REPORT_DAYS), of the statuses asked for, through the report pair that answers
   * (report-endpoint.ts). A page may hold fewer records than asked for (TimeTap enforces a
   * maximum), so `received` and `count` say where the walk stands, not the page size
   * (appointment-chunk.ts reads a whole range). A 504 or a timeout of a page larger than one
   * fails at once (`isLargePageFailure`): the reader asks smaller pages instead.
   */
  appointmentPage(
    query: ReportQuery,
    pageNumber: number,
    pageSize: number,
  ): Promise<ReportPage<AppointmentRecord>>;
  /** How many appointments the query matches; undefined when the account's reports give no count. */
  appointmentCount(query: ReportQuery): Promise<number | undefined>;
  /** The report pair this client asks (learned, see report-endpoint.ts). */
  reportEndpoint(): Promise<ReportEndpoint>;
  /** NotFoundError on 404: the appointment is gone. */
  getAppointment(id: number): Promise<AppointmentRecord>;
  listClients(): Promise<ListResult<ClientRecord>>;
  getClient(id: number): Promise<ClientRecord>;
  /** Forces a login (used by `check`). */
  login(): Promise<void>;
  stats(): ApiStats;
}

/** What an appointment report asks for. */
export interface ReportQuery extends DateRange {
  /** `statusList`; absent: whatever a report without it holds (undocumented: ask by name). */
  statuses?: readonly string[];
}

/**
 * The longest range a report is asked for: a public connector caps its reports at 93 days, which
 * suggests TimeTap refuses longer ones.
 */
export const MAX_REPORT_DAYS = 93;

/** A gateway's 504 or our own timeout: what a page too large for TimeTap's gateway meets. */
export function isLargePageFailure(error: unknown): boolean {
  if (error instanceof TimeTapHttpError) return error.status === 504;
  return error instanceof ExchangeError && error.label === 'timeout';
}

export interface ReportPage<T> extends ListResult<T> {
  /** Records the page held, usable or not. */
  received: number;
  /** The total TimeTap reports for the whole range, when it does. */
  count?: number;
}

/** What the client needs: the transport's dependencies (transport.ts), and where it keeps what it learns. */
export type TimeTapApiDeps = TransportDeps & {
  /** Which report pair answers this account (default: this process's memory only). */
  reportMemory?: ReportMemory;
};

/** `transport`: one the caller shares (probe.ts reads raw bodies through the same session). */
export function createTimeTapApi(
  deps: TimeTapApiDeps,
  transport: Transport = createTransport(deps),
): TimeTapApi {
  const { config } = deps;
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

  const reports = createReportEndpoints(deps.reportMemory ?? createProcessReportMemory(), logger);

  async function readPage(
    endpoint: ReportEndpoint,
    query: ReportQuery,
    pageNumber: number,
    pageSize: number,
  ): Promise<ReportPage<AppointmentRecord>> {
    // A read that gets this far was told of more pages than any range holds: it ends here.
    const maxPages = maxPagesFor(config.maxPages, pageSize);
    const filter = `/appointmentList/${endpoint}?${reportFilter(query)}`;
    if (pageNumber > maxPages) throw new PageLimitError(`GET ${filter}`, maxPages);
    const path = withQuery(filter, { pageNumber, pageSize });
    const answer = await fetchJson(`GET /appointmentList/${endpoint}`, path, {
      giveUpOn: (error) => pageSize > 1 && isLargePageFailure(error),
    });
    const body = readReportBody(answer, path);
    if (endpoint === 'reportWithCount' && body.count === undefined)
      throw new UnreadableReportError(path, 'no count beside the records', { retryable: true });
    const page: ReportPage<AppointmentRecord> = { items: [], skipped: [], received: body.records.length };
    if (body.count !== undefined) page.count = body.count;
    body.records.forEach((input, index) => {
      const parsed = parseAppointment(input);
      if (parsed.ok) page.items.push(parsed.value);
      else page.skipped.push(skip({ list: `GET ${path}`, index, reason: parsed.reason }));
    });
    return page;
  }

  async function appointmentCount(query: ReportQuery): Promise<number | undefined> {
    if ((await reports.current()) === 'reportWithCount') {
      const counted = await reports.use(async (endpoint) =>
        endpoint === 'reportWithCount' ? (await readPage(endpoint, query, 1, 1)).count : undefined,
      );
      if (counted !== undefined) return counted;
    }
    const path = `/appointmentList/reportCount?${reportFilter(query)}`;
    try {
      return readCountBody(await fetchJson('GET /appointmentList/reportCount', path), path);
    } catch (error) {
      // A report without a count endpoint: the reader walks its pages to the end.
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
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
    appointmentPage: (query, pageNumber, pageSize) =>
      reports.use((endpoint) => readPage(endpoint, query, pageNumber, pageSize)),
    appointmentCount,
    reportEndpoint: () => reports.current(),
    getAppointment: (id) => single('appointments', id, parseAppointment),
    listClients: () => list('GET /clients', '/clients', {}, parseClientRecord),
    getClient: (id) => single('clients', id, parseClientRecord),
    login: () => transport.login(),
    stats: () => stats.snapshot(),
  };
}

/**
 * The report's filter as a query: dates checked, the range at most MAX_REPORT_DAYS, statuses as
 * TimeTap spells them (comma-separated, as the docs write the list).
 */
function reportFilter(query: ReportQuery): string {
  for (const date of [query.startDate, query.endDate]) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new RangeError('dates must be YYYY-MM-DD');
  }
  const days = (Date.parse(query.endDate) - Date.parse(query.startDate)) / 86_400_000 + 1;
  if (!(days >= 1 && days <= MAX_REPORT_DAYS))
    throw new RangeError(`a report covers 1 to ${MAX_REPORT_DAYS} days, not ${days}`);
  let filter = `startDate=${query.startDate}&endDate=${query.endDate}`;
  if (query.statuses !== undefined) {
    if (query.statuses.length === 0 || query.statuses.some((s) => !/^[A-Z][A-Z_]*$/.test(s)))
      throw new RangeError('statuses must be upper-case status names');
    filter += `&statusList=${query.statuses.join(',')}`;
  }
  return filter;
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
