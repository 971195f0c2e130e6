/**
 * The checks of the report endpoints: which pair answers and how its wrapper reads
 * (`appointment-report`), what `reportCount` answers (`report-count`), how pages are capped and
 * lists paged (`list-paging`), whether a large page gets through the gateway (`large-pages`), and
 * whether a range over 93 days is refused (`report-range`).
 */
import { NotFoundError, TimeTapHttpError } from '../errors.js';
import {
  isLargePageFailure,
  MAX_REPORT_DAYS,
  readCountBody,
  readReportBody,
  UnreadableReportError,
} from '../timetap/index.js';
import { type Check, check } from './check.js';
import { type DoctorContext, describeFailure, keep, named, rangeFilter } from './context.js';

export async function appointmentReportCheck(ctx: DoctorContext): Promise<Check> {
  let missing: string;
  try {
    const { body, asked } = await firstPage(ctx, 'reportWithCount');
    const names = wrapperNames(body);
    const read = readReportBody(body, '/appointmentList/reportWithCount');
    if (read.count === undefined || names === undefined)
      throw new UnreadableReportError('', 'no count', { retryable: false });
    remember(ctx, 'reportWithCount', read.records, asked, read.count);
    return check(
      'appointment-report',
      'as-assumed',
      `reportWithCount answers the records in "${names.list}" and the count in "${names.count}"`,
    );
  } catch (error) {
    if (!(error instanceof NotFoundError || error instanceof UnreadableReportError)) {
      return check('appointment-report', 'failed', `reportWithCount: ${describeFailure(error)}`);
    }
    missing = error instanceof NotFoundError ? 'answered 404' : 'answered a body without a readable wrapper';
  }
  try {
    const { body, asked } = await firstPage(ctx, 'report');
    const read = readReportBody(body, '/appointmentList/report');
    // Its count comes from reportCount, as the client reads it (report-count checks its shape).
    const count = read.count ?? (await ctx.probe.api.appointmentCount(named(ctx)));
    remember(ctx, 'report', read.records, asked, count);
    return check(
      'appointment-report',
      'different',
      `reportWithCount ${missing}; report answers (a bare array of ${read.records.length} records): the client reads report with reportCount, and remembers it for the account`,
    );
  } catch (error) {
    return check(
      'appointment-report',
      'failed',
      `reportWithCount ${missing} and report: ${describeFailure(error)}: no usable appointment report`,
    );
  }
}

export async function reportCountCheck(ctx: DoctorContext): Promise<Check> {
  let body: unknown;
  try {
    body = await ctx.probe.getJson(`/appointmentList/reportCount?${rangeFilter(ctx)}`);
  } catch (error) {
    if (error instanceof NotFoundError && ctx.firstPage?.endpoint === 'reportWithCount')
      return check(
        'report-count',
        'different',
        'reportCount answered 404: the count that reportWithCount carries is used',
      );
    return check('report-count', 'failed', `reportCount: ${describeFailure(error)}`);
  }
  const count = readCountBody(body, '/appointmentList/reportCount');
  const known = ctx.firstPage?.endpoint === 'reportWithCount' ? ctx.firstPage.count : undefined;
  if (known !== undefined && known !== count)
    return check(
      'report-count',
      'different',
      `reportCount says ${count} where reportWithCount says ${known}: the reader checks each against the records it reads`,
    );
  if (typeof body === 'number' || typeof body === 'string')
    return check(
      'report-count',
      'different',
      `reportCount answers a bare number (${count}), read as the count`,
    );
  const key = Object.keys(body as object).find(
    (name) =>
      (body as Record<string, unknown>)[name] === count ||
      String((body as Record<string, unknown>)[name]) === String(count),
  );
  if (key !== 'count')
    return check(
      'report-count',
      'different',
      `reportCount answers the count in "${key ?? '?'}", not "count": read as the count`,
    );
  return check('report-count', 'as-assumed', `reportCount answers {"count": ${count}}`);
}

export async function listPagingCheck(ctx: DoctorContext): Promise<Check> {
  let lists: string;
  try {
    const first = await ctx.probe.getJson('/locations?pageNumber=1&pageSize=1');
    lists =
      Array.isArray(first) && first.length > 1
        ? `plain lists ignore pageNumber/pageSize and answer whole (${first.length} locations asked one a page)`
        : 'plain lists honour pageNumber/pageSize (a short page ends them)';
  } catch (error) {
    lists = `plain lists: ${describeFailure(error)}`;
  }
  const page = ctx.firstPage;
  if (page?.count === undefined)
    return check('list-paging', 'unknown', `${lists}; the report's page cap cannot be told without a count`);
  const capped = page.received < Math.min(page.count, page.asked);
  if (capped && page.received < ctx.pageSize) {
    return check(
      'list-paging',
      'different',
      `report pages hold at most ${page.received} records, fewer than the ${ctx.pageSize} asked (APPOINTMENTS_PAGE_SIZE): a short page does not end a report (its count does), and a chunk takes about ${Math.ceil(ctx.pageSize / Math.max(1, page.received))} times the pages; ${lists}`,
    );
  }
  const cap = capped
    ? `report pages hold at most ${page.received} records`
    : `report pages of ${page.asked} are served whole`;
  return check('list-paging', 'as-assumed', `${cap}; ${lists}`);
}

export async function largePagesCheck(ctx: DoctorContext): Promise<Check> {
  try {
    const page = await ctx.probe.api.appointmentPage(named(ctx), 1, 1000);
    keep(ctx, page.items);
    return check('large-pages', 'as-assumed', `a page of 1000 asked: ${page.received} records served`);
  } catch (error) {
    if (!isLargePageFailure(error)) return check('large-pages', 'failed', describeFailure(error));
    const what = error instanceof TimeTapHttpError ? 'met a 504 at the gateway' : 'timed out';
    return check(
      'large-pages',
      'different',
      `a page of 1000 ${what}: the reader halves the page size of that range and goes on`,
    );
  }
}

export async function reportRangeCheck(ctx: DoctorContext): Promise<Check> {
  const days = MAX_REPORT_DAYS + 1;
  const end = new Date(Date.parse(`${ctx.range.startDate}T00:00:00Z`) + (days - 1) * 86_400_000)
    .toISOString()
    .slice(0, 10);
  const endpoint = await ctx.probe.api.reportEndpoint();
  const filter = `startDate=${ctx.range.startDate}&endDate=${end}&statusList=${ctx.statuses.join(',')}`;
  const path =
    endpoint === 'report'
      ? `/appointmentList/reportCount?${filter}`
      : `/appointmentList/reportWithCount?${filter}&pageNumber=1&pageSize=1`;
  try {
    await ctx.probe.getJson(path);
    return check(
      'report-range',
      'as-assumed',
      `a range of ${days} days was answered (the reader asks at most ${MAX_REPORT_DAYS} all the same)`,
    );
  } catch (error) {
    if (error instanceof TimeTapHttpError && error.status >= 400 && error.status < 500)
      return check(
        'report-range',
        'different',
        `a range of ${days} days was refused (${error.status}): the reader never asks more than ${MAX_REPORT_DAYS} days`,
      );
    return check('report-range', 'unknown', `a range of ${days} days: ${describeFailure(error)}`);
  }
}

/** Page 1 of the range at APPOINTMENTS_PAGE_SIZE, halved while the gateway refuses the size. */
async function firstPage(
  ctx: DoctorContext,
  endpoint: 'reportWithCount' | 'report',
): Promise<{ body: unknown; asked: number }> {
  for (let asked = ctx.pageSize; ; asked = Math.floor(asked / 2)) {
    try {
      return {
        body: await ctx.probe.getJson(
          `/appointmentList/${endpoint}?${rangeFilter(ctx)}&pageNumber=1&pageSize=${asked}`,
        ),
        asked,
      };
    } catch (error) {
      if (asked <= 1 || !isLargePageFailure(error)) throw error;
    }
  }
}

function remember(
  ctx: DoctorContext,
  endpoint: 'reportWithCount' | 'report',
  records: unknown[],
  asked: number,
  count: number | undefined,
): void {
  ctx.firstPage = { endpoint, asked, received: records.length, ...(count === undefined ? {} : { count }) };
  for (const record of records) {
    const raw = record as Record<string, unknown>;
    const id = raw?.calendarId ?? raw?.calendarid;
    if (typeof id === 'number') ctx.records.set(id, raw);
  }
}

/** The wrapper's property names: the array's, and the count's. */
function wrapperNames(body: unknown): { list: string; count: string } | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const entries = Object.entries(body as Record<string, unknown>);
  const list = entries.find(([, v]) => Array.isArray(v))?.[0];
  const read = readReportBody(body, '');
  const count = entries.find(([, v]) => v === read.count)?.[0];
  return list !== undefined && count !== undefined ? { list, count } : undefined;
}
