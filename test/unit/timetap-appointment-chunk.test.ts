/**
 * Reading a chunk with pages asked for ahead (appointment-chunk.ts): the same answer as a walk of
 * one page after the other, never more than `pagesInFlight` requests at once, and no request left
 * running when the read ends early or fails. A fake client stands in for TimeTap here (its pages
 * answer in a chosen order); the same reader runs against the simulator in
 * test/integration/timetap-appointments.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { AppointmentRecord } from '../../src/records.js';
import type { ReportPage } from '../../src/timetap/api.js';
import { readAppointmentChunk } from '../../src/timetap/appointment-chunk.js';

const RANGE = { startDate: '2026-01-01', endDate: '2026-01-07' };
const ONE_DAY = { startDate: '2026-01-01', endDate: '2026-01-01' };

interface FakeOptions {
  total: number;
  /** What TimeTap serves at most per page, whatever is asked. */
  served: number;
  /** Whether the answer carries a count. */
  counted?: boolean;
  /** Page numbers that fail. */
  failing?: number[];
  /** Records that vanish once page 1 has been answered (shrinking the later pages). */
  withdrawnAfterFirst?: number;
}

function fakeClient(options: FakeOptions) {
  const log = { asked: [] as number[], inFlight: 0, mostInFlight: 0, open: () => log.inFlight };
  let total = options.total;
  const appointmentPage = async (
    _range: typeof RANGE,
    pageNumber: number,
    pageSize: number,
  ): Promise<ReportPage<AppointmentRecord>> => {
    log.asked.push(pageNumber);
    log.inFlight += 1;
    log.mostInFlight = Math.max(log.mostInFlight, log.inFlight);
    try {
      // Later pages answer first: the reader must still take them in order.
      await new Promise((resolve) => setTimeout(resolve, 2 + (pageNumber % 3 === 0 ? 0 : 6)));
      if (options.failing?.includes(pageNumber)) throw new Error(`page ${pageNumber} failed`);
      const size = Math.min(pageSize, options.served);
      const from = (pageNumber - 1) * size;
      const items = Array.from({ length: Math.max(0, Math.min(size, total - from)) }, (_, i) => ({
        id: from + i + 1,
        kind: 'appointment',
        nested: {},
        raw: { calendarId: from + i + 1 },
      })) as AppointmentRecord[];
      const page: ReportPage<AppointmentRecord> = { items, skipped: [], received: items.length };
      if (options.counted !== false) page.count = total;
      if (pageNumber === 1 && options.withdrawnAfterFirst) total -= options.withdrawnAfterFirst;
      return page;
    } finally {
      log.inFlight -= 1;
    }
  };
  const appointmentCount = async () => (options.counted === false ? undefined : total);
  return { client: { appointmentPage, appointmentCount }, log };
}

const ids = (read: { appointments: AppointmentRecord[] }) => read.appointments.map((a) => a.id);

describe('reading a chunk with pages asked for ahead', () => {
  it('reads what one page after the other reads, at most pagesInFlight at once', async () => {
    const ahead = fakeClient({ total: 950, served: 100 });
    const one = fakeClient({ total: 950, served: 100 });
    const read = await readAppointmentChunk(ahead.client, RANGE, {
      pageSize: 100,
      maxReads: 1,
      pagesInFlight: 3,
    });
    const sequential = await readAppointmentChunk(one.client, RANGE, {
      pageSize: 100,
      maxReads: 1,
      pagesInFlight: 1,
    });
    expect(read.complete).toBe(true);
    expect(ids(read)).toEqual(ids(sequential));
    expect(ids(read)).toEqual(Array.from({ length: 950 }, (_, i) => i + 1));
    // 10 pages and the second look at the count, each asked for once.
    expect(read.pages).toBe(11);
    expect(sequential.pages).toBe(11);
    expect(ahead.log.mostInFlight).toBe(3);
    expect(one.log.mostInFlight).toBe(1);
    expect(ahead.log.inFlight).toBe(0);
  });

  it('counts pages by what TimeTap served, not by what was asked for', async () => {
    const fake = fakeClient({ total: 95, served: 10 });
    const read = await readAppointmentChunk(fake.client, RANGE, {
      pageSize: 100,
      maxReads: 1,
      pagesInFlight: 4,
    });
    expect(read.complete).toBe(true);
    expect(read.appointments).toHaveLength(95);
    expect(fake.log.asked.filter((n) => n > 10)).toEqual([]);
    expect(fake.log.mostInFlight).toBe(4);
  });

  it('asks for one page at a time when the answer has no count', async () => {
    const fake = fakeClient({ total: 250, served: 100, counted: false });
    const read = await readAppointmentChunk(fake.client, RANGE, {
      pageSize: 100,
      maxReads: 1,
      pagesInFlight: 4,
    });
    expect(read.appointments).toHaveLength(250);
    expect(fake.log.mostInFlight).toBe(1);
  });

  it('waits for the pages asked for ahead when the walk ends early, and counts them', async () => {
    // 50 records withdrawn after page 1: page 5 of 5 comes back empty and ends the walk early.
    const fake = fakeClient({ total: 500, served: 100, withdrawnAfterFirst: 150 });
    // One day of one status: a part that cannot be split, and a count that moved: read once.
    const read = await readAppointmentChunk(fake.client, ONE_DAY, {
      pageSize: 100,
      maxReads: 1,
      pagesInFlight: 3,
    });
    expect(read.complete).toBe(false);
    expect(fake.log.inFlight).toBe(0);
    // Every request made is counted as a page (the second look at the count included).
    expect(read.pages).toBe(fake.log.asked.length);
  });

  it('fails with the failing page, with nothing left in flight', async () => {
    const fake = fakeClient({ total: 900, served: 100, failing: [4] });
    await expect(
      readAppointmentChunk(fake.client, RANGE, { pageSize: 100, maxReads: 1, pagesInFlight: 3 }),
    ).rejects.toThrow('page 4 failed');
    expect(fake.log.inFlight).toBe(0);
    expect(Math.max(...fake.log.asked)).toBeLessThanOrEqual(6);
  });
});
