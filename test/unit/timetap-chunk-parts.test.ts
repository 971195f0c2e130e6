/**
 * Reading a chunk when one walk of its pages is not enough (appointment-chunk.ts): an order that
 * changes between requests (the union of reads completes it), a tie that always straddles a page
 * boundary (the range is split, down to a day, then by status), a count that keeps moving (no
 * split: incomplete), a page too large for the gateway (halved), and no report over 93 days.
 * A fake report stands in for TimeTap here: records with a date and a status, a page cap, and an
 * order chosen per request; the same reader runs against the simulator in
 * test/integration/sync-unstable-order.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { TimeTapHttpError } from '../../src/errors.js';
import type { AppointmentRecord } from '../../src/records.js';
import type { ReportPage, ReportQuery } from '../../src/timetap/api.js';
import { readAppointmentChunk } from '../../src/timetap/appointment-chunk.js';
import { daysOf } from '../../src/timetap/report-parts.js';

interface Entry {
  id: number;
  date: string;
  status: string;
}

const STATUSES = ['OPEN', 'COMPLETED'];

/** `perDay` entries per day of [first, first + days), statuses alternating, ids in date order. */
function entries(first: string, days: number, perDay: number): Entry[] {
  const out: Entry[] = [];
  const start = Date.parse(`${first}T00:00:00Z`);
  for (let d = 0; d < days; d++) {
    const date = new Date(start + d * 86_400_000).toISOString().slice(0, 10);
    for (let i = 0; i < perDay; i++)
      out.push({ id: out.length + 1, date, status: STATUSES[i % 2] as string });
  }
  return out;
}

interface FakeReport {
  /** The matching entries in the order this request serves them. */
  order?(matching: Entry[], query: ReportQuery, request: number): Entry[];
  cap: number;
  /** Page sizes above this answer 504. */
  gatewayLimit?: number;
  /** Called before each count: lets a test move the count. */
  beforeCount?(): void;
}

function fakeReport(data: Entry[], options: FakeReport) {
  const log = { queries: [] as ReportQuery[], sizes: [] as number[], requests: 0 };
  const matching = (q: ReportQuery) =>
    data.filter(
      (e) => e.date >= q.startDate && e.date <= q.endDate && (!q.statuses || q.statuses.includes(e.status)),
    );
  const appointmentPage = async (
    query: ReportQuery,
    pageNumber: number,
    pageSize: number,
  ): Promise<ReportPage<AppointmentRecord>> => {
    log.requests++;
    log.queries.push(query);
    log.sizes.push(pageSize);
    if (options.gatewayLimit !== undefined && Math.min(pageSize, options.cap) > options.gatewayLimit)
      throw new TimeTapHttpError(504, '/appointmentList/reportWithCount', { retryable: true });
    const all = matching(query);
    const ordered = options.order ? options.order(all, query, log.requests) : all;
    const size = Math.min(pageSize, options.cap);
    const rows = ordered.slice((pageNumber - 1) * size, pageNumber * size);
    const items = rows.map((e) => ({
      id: e.id,
      kind: 'appointment',
      nested: {},
      raw: { calendarId: e.id },
    })) as AppointmentRecord[];
    return { items, skipped: [], received: items.length, count: all.length };
  };
  const appointmentCount = async (query: ReportQuery) => {
    log.requests++;
    log.queries.push(query);
    options.beforeCount?.();
    return matching(query).length;
  };
  return { client: { appointmentPage, appointmentCount }, log };
}

/** A fixed permutation per request: every request orders the range differently. */
function shuffledPerRequest(matching: Entry[], _query: ReportQuery, request: number): Entry[] {
  let seed = request * 7919;
  const next = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const out = [...matching];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j] as Entry, out[i] as Entry];
  }
  return out;
}

const ids = (read: { appointments: AppointmentRecord[] }) =>
  read.appointments.map((a) => a.id).sort((a, b) => a - b);
const idsOf = (list: Entry[]) => list.map((e) => e.id);

describe('a chunk whose order is not stable between requests', () => {
  it('completes from the union of its reads, exactly, when one walk misses some', async () => {
    const data = entries('2026-01-01', 2, 12);
    const fake = fakeReport(data, { cap: 5, order: shuffledPerRequest });
    const read = await readAppointmentChunk(
      fake.client,
      { startDate: '2026-01-01', endDate: '2026-01-02', statuses: STATUSES },
      { pageSize: 5, maxReads: 8 },
    );
    expect(read.complete).toBe(true);
    expect(ids(read)).toEqual(idsOf(data));
    // One walk of 5 shuffled pages of 5 cannot see 24 records (it may see one twice): several reads.
    expect(read.reads).toBeGreaterThan(1);
    expect(read.count).toBe(24);
  });

  it('splits a range whose reads stay short, down to a day and then by status, and completes', async () => {
    const data = entries('2026-01-01', 4, 6);
    // The last record is never served while the query covers several days or statuses (as if it
    // always fell on a page boundary that each request orders differently).
    const hidden = (matching: Entry[], query: ReportQuery) =>
      daysOf(query) > 1 || (query.statuses?.length ?? 2) > 1 ? matching.slice(0, -1) : matching;
    const fake = fakeReport(data, { cap: 100, order: hidden });
    const read = await readAppointmentChunk(
      fake.client,
      { startDate: '2026-01-01', endDate: '2026-01-04', statuses: STATUSES },
      { pageSize: 100, maxReads: 2 },
    );
    expect(read.complete).toBe(true);
    expect(ids(read)).toEqual(idsOf(data));
    expect(read.parts).toBeGreaterThan(1);
    // Down to single days, then one status each: a one-record status part is served whole.
    const singleStatus = fake.log.queries.filter((q) => q.statuses?.length === 1);
    expect(singleStatus.length).toBeGreaterThan(0);
    expect(singleStatus.every((q) => daysOf(q) === 1)).toBe(true);
  });

  it('says incomplete, keeping what it saw, when even a day of one status stays short', async () => {
    const data = entries('2026-01-01', 1, 3).map((e) => ({ ...e, status: 'OPEN' }));
    const fake = fakeReport(data, { cap: 100, order: (m) => m.slice(0, -1) });
    const read = await readAppointmentChunk(
      fake.client,
      { startDate: '2026-01-01', endDate: '2026-01-01', statuses: ['OPEN'] },
      { pageSize: 100, maxReads: 2 },
    );
    expect(read.complete).toBe(false);
    expect(ids(read)).toEqual([1, 2]);
    expect(read.why).toMatch(
      /2026-01-01\.\.2026-01-01 OPEN: 2 distinct appointments after \d read\(s\) for a count of 3/,
    );
    // Bounded: reads of a part that cannot be cut stop after two in a row that find nothing new.
    expect(read.reads).toBe(3);
  });

  it('does not split a range whose count keeps moving: reading smaller parts of a changing account does not help', async () => {
    const data = entries('2026-01-01', 4, 6);
    let next = 1000;
    const fake = fakeReport(data, {
      cap: 5,
      beforeCount: () => {
        data.push({ id: next++, date: '2026-01-01', status: 'OPEN' });
      },
    });
    const read = await readAppointmentChunk(
      fake.client,
      { startDate: '2026-01-01', endDate: '2026-01-04', statuses: STATUSES },
      { pageSize: 5, maxReads: 3 },
    );
    expect(read.complete).toBe(false);
    expect(read.reads).toBe(3);
    expect(read.parts).toBe(1);
    expect(read.why).toMatch(/the count moved/);
  });
});

describe('the size and the range of what is asked', () => {
  it('halves the page size of a range whose large pages meet a 504, and goes on', async () => {
    const data = entries('2026-01-01', 3, 20);
    const fake = fakeReport(data, { cap: 100, gatewayLimit: 20 });
    const read = await readAppointmentChunk(
      fake.client,
      { startDate: '2026-01-01', endDate: '2026-01-03', statuses: STATUSES },
      { pageSize: 100, maxReads: 2 },
    );
    expect(read.complete).toBe(true);
    expect(ids(read)).toEqual(idsOf(data));
    // 100, 50, 25 refused; 12 served, and kept for the rest of the range.
    expect([...new Set(fake.log.sizes)]).toEqual([100, 50, 25, 12]);
  });

  it('never asks a report of more than 93 days', async () => {
    const data = entries('2026-01-01', 200, 1);
    const fake = fakeReport(data, { cap: 100 });
    const read = await readAppointmentChunk(
      fake.client,
      { startDate: '2026-01-01', endDate: '2026-07-19', statuses: STATUSES },
      { pageSize: 100, maxReads: 2 },
    );
    expect(read.complete).toBe(true);
    expect(ids(read)).toEqual(idsOf(data));
    expect(Math.max(...fake.log.queries.map(daysOf))).toBe(93);
    expect(read.parts).toBe(3);
  });
});
