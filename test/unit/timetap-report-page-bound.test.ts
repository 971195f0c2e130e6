/**
 * How far one read of a range of appointments goes (report-page-bound.ts): the pages its first
 * count can justify, not 100,000 pages a read when the count keeps growing with the pages.
 */
import { describe, expect, it } from 'vitest';
import { readAppointmentChunk } from '../../src/timetap/appointment-chunk.js';
import type { TimeTapAppointment } from '../../src/timetap/appointment-schemas.js';
import type { ReportPage } from '../../src/timetap/client.js';
import { lastJustifiedPage } from '../../src/timetap/report-page-bound.js';

const RANGE = { startDate: '2026-01-01', endDate: '2026-01-07' };

describe('lastJustifiedPage', () => {
  it('the pages the count fills at the size served, plus a tenth (at least two) for new bookings', () => {
    expect(lastJustifiedPage({ received: 100, count: 300 }, 100_000)).toBe(5);
    expect(lastJustifiedPage({ received: 100, count: 301 }, 100_000)).toBe(6);
    expect(lastJustifiedPage({ received: 25, count: 10_000 }, 100_000)).toBe(440);
    expect(lastJustifiedPage({ received: 3, count: 3 }, 100_000)).toBe(3);
  });

  it('never past the ceiling, and the ceiling without a count to go by', () => {
    expect(lastJustifiedPage({ received: 100, count: 1e12 }, 1000)).toBe(1000);
    expect(lastJustifiedPage({ received: 100 }, 1000)).toBe(1000);
    expect(lastJustifiedPage({ received: 0, count: 50 }, 1000)).toBe(1000);
  });
});

describe('a read whose pages never end', () => {
  it('stops at what the first count justifies, each read, however the count grows', async () => {
    const asked: number[] = [];
    let nextId = 1;
    const client = {
      // Full pages of new records, and a count always one page ahead of what was sent.
      async appointmentPage(_range: typeof RANGE, pageNumber: number, pageSize: number) {
        asked.push(pageNumber);
        const items = Array.from({ length: pageSize }, () => {
          const id = nextId++;
          return { id, nested: {}, raw: { calendarId: id } } as unknown as TimeTapAppointment;
        });
        const page: ReportPage<TimeTapAppointment> = { items, skipped: [], received: pageSize };
        page.count = (pageNumber + 1) * pageSize;
        return page;
      },
    };
    const read = await readAppointmentChunk(client, RANGE, { pageSize: 10, maxReads: 3, pagesInFlight: 1 });
    expect(read.complete).toBe(false);
    expect(read.reads).toBe(3);
    // A count of 20 at 10 a page justifies 2 pages and 2 more; then the check of the count.
    const perRead = [1, 2, 3, 4, 1];
    expect(asked).toEqual([...perRead, ...perRead, ...perRead]);
    expect(read.why).toMatch(/^still inconsistent after 3 reads: 40 distinct appointments for a count of 20/);
  });
});
