/**
 * What the checks share: the probe (the client and raw reads through one session and budget),
 * the range the report probes read, and the records read so far, so that the checks on what
 * records carry look at every record any probe read without a call of their own.
 */
import type { DateRange } from '../dates.js';
import { describeError, MalformedResponseError, NetworkError, TimeTapHttpError } from '../errors.js';
import type { AppointmentRecord } from '../records.js';
import {
  isLargePageFailure,
  type ReportPage,
  type ReportQuery,
  type TimeTapProbe,
} from '../timetap/index.js';

export interface DoctorContext {
  probe: TimeTapProbe;
  /** The rolling window around today, at most 93 days: where appointments are. */
  range: DateRange;
  /** APPOINTMENTS_STATUSES, asked by name as the mirror does. */
  statuses: readonly string[];
  /** APPOINTMENTS_PAGE_SIZE. */
  pageSize: number;
  /** Appointment objects read so far, by id, as TimeTap sent them. */
  records: Map<number, Record<string, unknown>>;
  /** What the first report page showed (appointment-report), for the checks that follow. */
  firstPage?: FirstPage;
}

export interface FirstPage {
  endpoint: 'reportWithCount' | 'report';
  /** The page size asked (APPOINTMENTS_PAGE_SIZE, halved after a 504) and the records served. */
  asked: number;
  received: number;
  count?: number;
}

export const named = (ctx: DoctorContext): ReportQuery => ({ ...ctx.range, statuses: ctx.statuses });

/** Keeps what a page held, for the checks on records. */
export function keep(
  ctx: DoctorContext,
  items: ReadonlyArray<{ id: number; raw: Record<string, unknown> }>,
): void {
  for (const item of items) ctx.records.set(item.id, item.raw);
}

/** The query of a report probe: the range, and the statuses by name unless `unnamed`. */
export function rangeFilter(ctx: DoctorContext, unnamed = false): string {
  const statuses = unnamed ? '' : `&statusList=${ctx.statuses.join(',')}`;
  return `startDate=${ctx.range.startDate}&endDate=${ctx.range.endDate}${statuses}`;
}

/** A page of `query` at `size`, halved while the gateway refuses the size (as the reader does). */
export async function pageOf(
  ctx: DoctorContext,
  query: ReportQuery,
  size: number,
): Promise<ReportPage<AppointmentRecord>> {
  for (let asked = size; ; asked = Math.floor(asked / 2)) {
    try {
      const page = await ctx.probe.api.appointmentPage(query, 1, asked);
      keep(ctx, page.items);
      return page;
    } catch (error) {
      if (asked <= 1 || !isLargePageFailure(error)) throw error;
    }
  }
}

/** Why a probe failed, in words that hold no value and no secret: a status, a kind of failure. */
export function describeFailure(error: unknown): string {
  if (error instanceof TimeTapHttpError) return `TimeTap answered ${error.status}`;
  if (error instanceof NetworkError)
    return /timed out/.test(error.message) ? 'the request timed out' : 'a network failure';
  if (error instanceof MalformedResponseError) return 'a malformed answer';
  if (error instanceof RangeError) return 'a request the client refuses to send';
  return error instanceof Error ? error.name : describeError(error);
}

export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
