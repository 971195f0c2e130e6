/**
 * The variants of TimeTap that other people's traffic shows (public client code and request
 * logs), where the documentation is silent or says otherwise. Each one is a switch, off by
 * default (the simulator then answers as before: what the docs describe, or our guess), so that
 * a test or a user can meet each variant alone or all at once, from the command line or at run
 * time (`setVariants`).
 */
import { APPOINTMENT_STATUSES, type AppointmentStatus, isAppointmentStatus } from './appointment-objects.js';

export type ReportOrder = 'stable' | 'date-time';
export type ReportWithCount = 'wrapper' | 'absent' | 'unreadable';
export type ReportCountShape = 'count' | 'number' | 'totalCount';
export type TokenStyle = 'colon' | 'dotted';
export type LocationTimeZones = 'object' | 'legacy' | 'null' | 'mixed';

export interface Variants {
  /**
   * `stable`: date, start time, calendarId. `date-time`: appointments that share a date and a
   * start time come in a new order on every request (the order is stable only by date and time).
   */
  reportOrder: ReportOrder;
  /** `wrapper`: answered; `absent`: 404; `unreadable`: a body with two arrays (no wrapper to read). */
  reportWithCount: ReportWithCount;
  /** `/appointmentList/reportCount`'s answer: `{"count": N}` (as seen), a bare number, `{"totalCount": N}`. */
  reportCount: ReportCountShape;
  /** The statuses a report without `statusList` holds; undefined: every status. */
  statusDefault: readonly AppointmentStatus[] | undefined;
  /** Every 401 is an HTML page (text/html), as a gateway answers. */
  html401: boolean;
  /** The hidden rate limit's 429s carry Retry-After (false: none, as behind a CDN). */
  retryAfter: boolean;
  /** Session tokens `st:api:api:<32 hex>` (the docs) or `st.api.api.<32 hex>` (seen in traffic). */
  tokenStyle: TokenStyle;
  /** Some report entries are personal time-off and class entries, not client bookings. */
  nonClientEntries: boolean;
  /**
   * How locations name their time zone: `object` (`timeZone: {timeZoneCode}`), `legacy`
   * (`timeZoneCode: "US/Pacific"`, `timeZone: null`), `null` (`timeZone: null`), `mixed` (by id).
   */
  locationTimeZones: LocationTimeZones;
  /** Some appointments carry an impossible `endDate` (such as 2026-02-30). */
  impossibleDates: boolean;
  /** Report pages of more records than this answer 504, as a gateway's timeout; undefined: never. */
  gatewayTimeoutAbove: number | undefined;
  /** Report ranges of more days than this answer 400; undefined: any range. */
  maxReportDays: number | undefined;
}

export const DEFAULT_VARIANTS: Readonly<Variants> = Object.freeze({
  reportOrder: 'stable',
  reportWithCount: 'wrapper',
  reportCount: 'count',
  statusDefault: undefined,
  html401: false,
  retryAfter: true,
  tokenStyle: 'colon',
  nonClientEntries: false,
  locationTimeZones: 'object',
  impossibleDates: false,
  gatewayTimeoutAbove: undefined,
  maxReportDays: undefined,
});

/** Every variant at once (the test of "all together" and `--all-variants`); the page cap is reportPaging's. */
export const ALL_VARIANTS: Readonly<Variants> = Object.freeze({
  reportOrder: 'date-time',
  reportWithCount: 'absent',
  reportCount: 'number',
  statusDefault: ['OPEN', 'PENDING'] as const,
  html401: true,
  retryAfter: false,
  tokenStyle: 'dotted',
  nonClientEntries: true,
  locationTimeZones: 'mixed',
  impossibleDates: true,
  gatewayTimeoutAbove: 50,
  maxReportDays: 93,
});

const oneOf = <T extends string>(name: string, value: T, allowed: readonly T[]): T => {
  if (!allowed.includes(value))
    throw new RangeError(`simulator: ${name} must be one of ${allowed.join(', ')}`);
  return value;
};

const positiveOrUndefined = (name: string, value: number | undefined): number | undefined => {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 1))
    throw new RangeError(`simulator: ${name} must be an integer >= 1 or undefined`);
  return value;
};

/** `base` with `changes` applied, each checked. */
export function resolveVariants(
  changes: Partial<Variants> = {},
  base: Variants = DEFAULT_VARIANTS,
): Variants {
  const v = { ...base, ...changes };
  if (v.statusDefault !== undefined) {
    if (v.statusDefault.length === 0 || !v.statusDefault.every((s) => isAppointmentStatus(s)))
      throw new RangeError(
        `simulator: statusDefault must name statuses among ${APPOINTMENT_STATUSES.join(', ')}`,
      );
  }
  return {
    reportOrder: oneOf('reportOrder', v.reportOrder, ['stable', 'date-time']),
    reportWithCount: oneOf('reportWithCount', v.reportWithCount, ['wrapper', 'absent', 'unreadable']),
    reportCount: oneOf('reportCount', v.reportCount, ['count', 'number', 'totalCount']),
    statusDefault: v.statusDefault === undefined ? undefined : Object.freeze([...v.statusDefault]),
    html401: v.html401 === true,
    retryAfter: v.retryAfter !== false,
    tokenStyle: oneOf('tokenStyle', v.tokenStyle, ['colon', 'dotted']),
    nonClientEntries: v.nonClientEntries === true,
    locationTimeZones: oneOf('locationTimeZones', v.locationTimeZones, ['object', 'legacy', 'null', 'mixed']),
    impossibleDates: v.impossibleDates === true,
    gatewayTimeoutAbove: positiveOrUndefined('gatewayTimeoutAbove', v.gatewayTimeoutAbove),
    maxReportDays: positiveOrUndefined('maxReportDays', v.maxReportDays),
  };
}

/** The variants that differ from the defaults, for the standalone banner; 'none' when none does. */
export function describeVariants(variants: Variants): string {
  const parts: string[] = [];
  if (variants.reportOrder !== 'stable') parts.push('report order stable only by date and time');
  if (variants.reportWithCount === 'absent') parts.push('no reportWithCount (404)');
  if (variants.reportWithCount === 'unreadable') parts.push('reportWithCount unreadable');
  if (variants.reportCount !== 'count')
    parts.push(`reportCount answers ${variants.reportCount === 'number' ? 'a bare number' : '{totalCount}'}`);
  if (variants.statusDefault)
    parts.push(`a report without statusList holds ${variants.statusDefault.join(',')}`);
  if (variants.html401) parts.push('401 as HTML');
  if (!variants.retryAfter) parts.push('429 without Retry-After');
  if (variants.tokenStyle !== 'colon') parts.push('tokens st.api.api.<hex>');
  if (variants.nonClientEntries) parts.push('time-off and class entries in reports');
  if (variants.locationTimeZones !== 'object')
    parts.push(`location time zones ${variants.locationTimeZones}`);
  if (variants.impossibleDates) parts.push('impossible dates');
  if (variants.gatewayTimeoutAbove !== undefined)
    parts.push(`504 on report pages above ${variants.gatewayTimeoutAbove}`);
  if (variants.maxReportDays !== undefined)
    parts.push(`report ranges of at most ${variants.maxReportDays} days`);
  return parts.length === 0 ? 'variants: none' : `variants: ${parts.join('; ')}`;
}
