/**
 * The checks of what reports and records carry: whether two reads of the same pages agree on the
 * order (`report-order`), whether a report without `statusList` holds every status
 * (`status-default`), whether entries other than client bookings come along
 * (`non-client-entries`), whether typed fields hold impossible dates (`dates`), and how locations
 * name their time zone (`time-zones`).
 */

import type { AppointmentRecord } from '../records.js';
import { appointmentKind, isCalendarDate, isTimeZoneName } from '../timetap/index.js';
import { type Check, check } from './check.js';
import { type DoctorContext, describeFailure, named, pageOf, plural } from './context.js';

const ORDER_PAGE = 25;
const ORDER_READS = 3;

export async function reportOrderCheck(ctx: DoctorContext): Promise<Check> {
  try {
    const reads: AppointmentRecord[][] = [];
    for (let i = 0; i < ORDER_READS; i++) {
      const page = await pageOf(ctx, named(ctx), ORDER_PAGE);
      reads.push(page.items);
    }
    const [first, ...others] = reads.map((items) => items.map((a) => a.id).join(','));
    const records = reads[0] ?? [];
    const slots = new Set(records.map((a) => `${a.startDate} ${a.startTime}`));
    const ties = records.length - slots.size;
    if (others.some((ids) => ids !== first)) {
      return check(
        'report-order',
        'different',
        `${ORDER_READS} reads of the same page of ${records.length} ordered it differently (${plural(ties, 'record')} shared a date and start time): the reader completes a chunk from the union of its reads at a steady count, and splits a range that stays short`,
      );
    }
    if (ties === 0)
      return check(
        'report-order',
        'unknown',
        `no two of the ${records.length} records read shared a date and start time: an order stable only by them could not show`,
      );
    return check(
      'report-order',
      'as-assumed',
      `${ORDER_READS} reads of the same page of ${records.length} (${plural(ties, 'tie')} of date and start time) agreed`,
    );
  } catch (error) {
    return check('report-order', 'failed', describeFailure(error));
  }
}

export async function statusDefaultCheck(ctx: DoctorContext): Promise<Check> {
  try {
    const api = ctx.probe.api;
    const all = await api.appointmentCount(named(ctx));
    const unnamed = await api.appointmentCount(ctx.range);
    const page = await pageOf(ctx, ctx.range, ctx.pageSize);
    const seen = [
      ...new Set(page.items.flatMap((a) => (a.status === undefined ? [] : [statusName(a.status)]))),
    ].sort();
    if (all === undefined || unnamed === undefined)
      return check('status-default', 'unknown', 'the report gives no count to compare');
    if (unnamed < all) {
      return check(
        'status-default',
        'different',
        `a report without statusList holds ${unnamed} of the ${all} appointments (statuses seen: ${seen.join(', ') || 'none'}): the mirror asks for APPOINTMENTS_STATUSES by name`,
      );
    }
    const more = unnamed > all ? `, and ${unnamed - all} of statuses not asked for` : '';
    return check(
      'status-default',
      'as-assumed',
      `a report without statusList holds all ${all} appointments of ${ctx.statuses.join(', ')}${more}`,
    );
  } catch (error) {
    return check('status-default', 'failed', describeFailure(error));
  }
}

export function nonClientEntriesCheck(ctx: DoctorContext): Check {
  const kinds = new Map<string, number>();
  for (const raw of ctx.records.values()) {
    const kind = appointmentKind(raw);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  const total = ctx.records.size;
  if (total === 0) return check('non-client-entries', 'unknown', 'no appointment was read');
  const others = [...kinds].filter(([kind]) => kind !== 'appointment');
  if (others.length === 0)
    return check('non-client-entries', 'as-assumed', `all ${total} entries read are client bookings`);
  const list = others.map(([kind, n]) => `${n} ${kind}`).join(', ');
  return check(
    'non-client-entries',
    'different',
    `of ${total} entries read, ${list}: mirrored with appointments.kind; the reporting views and report count client bookings only`,
  );
}

export function datesCheck(ctx: DoctorContext): Check {
  const fields = new Map<string, number>();
  for (const raw of ctx.records.values()) {
    for (const field of ['startDate', 'endDate']) {
      const value = raw[field];
      if (typeof value === 'string' && !isCalendarDate(value))
        fields.set(field, (fields.get(field) ?? 0) + 1);
    }
    for (const field of ['startTime', 'endTime']) {
      const value = raw[field];
      if (typeof value === 'number' && (value % 100 >= 60 || value < 0 || value > 2400))
        fields.set(field, (fields.get(field) ?? 0) + 1);
    }
  }
  if (ctx.records.size === 0) return check('dates', 'unknown', 'no appointment was read');
  if (fields.size === 0)
    return check(
      'dates',
      'as-assumed',
      `the dates and times of all ${ctx.records.size} entries read are real`,
    );
  const list = [...fields].map(([field, n]) => `${n} ${field}`).join(', ');
  return check(
    'dates',
    'different',
    `impossible dates or times among ${ctx.records.size} entries read (${list}): NULL in the typed columns, raw keeps them`,
  );
}

export async function timeZonesCheck(ctx: DoctorContext): Promise<Check> {
  try {
    const { items } = await ctx.probe.api.listLocations();
    const tally = { object: 0, legacy: 0, none: 0, nulls: 0, unknown: 0 };
    for (const { raw } of items) {
      const zone = raw.timeZone as { timeZoneCode?: unknown } | null | undefined;
      const code = raw.timeZoneCode;
      const objectCode = zone && typeof zone === 'object' ? zone.timeZoneCode : undefined;
      if (typeof objectCode === 'string') tally[isTimeZoneName(objectCode) ? 'object' : 'unknown']++;
      else if (typeof code === 'string') tally[isTimeZoneName(code) ? 'legacy' : 'unknown']++;
      else {
        tally.none++;
        if (raw.timeZone === null) tally.nulls++;
      }
    }
    const parts = [
      `${plural(items.length, 'location')}`,
      `${tally.object} name their zone in a timeZone object`,
      `${tally.legacy} in timeZoneCode`,
      `${tally.none} none (${tally.nulls} with timeZone null)`,
    ];
    if (tally.unknown > 0) parts.push(`${tally.unknown} a name no time zone database knows`);
    const detail = parts.join(', ');
    if (tally.legacy > 0 || tally.unknown > 0 || tally.nulls > 0) {
      return check(
        'time-zones',
        'different',
        `${detail}: locations.time_zone takes either form, legacy names included; appointments.start_at is NULL where no zone is known`,
      );
    }
    return check('time-zones', 'as-assumed', detail);
  } catch (error) {
    return check('time-zones', 'failed', describeFailure(error));
  }
}

/** A status as a name (upper case, `_`); anything else is not printed. */
function statusName(status: string): string {
  return /^[A-Z][A-Z_]{0,30}$/.test(status) ? status : 'another';
}
