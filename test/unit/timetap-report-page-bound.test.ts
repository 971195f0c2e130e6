/**
 * How far one read of a range of appointments goes (report-page-bound.ts): the pages its first
 * count can justify, not 100,000 pages a read when the count keeps growing with the pages.
 */
import { describe, expect, it } from 'vitest';
import type { AppointmentRecord } from '../../src/records.js';
import type { ReportPage } from '../../src/timetap/api.js';
import { readAppointmentChunk } from '../../src/timetap/appointment-chunk.js';
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

describe('a read whose pages never catch up with its count', () => {
  it('stops each walk at what the first count justifies, however short the pages after it', async () => {
    const asked: number[] = [];
    let nextId = 1;
    const client = {
      // A full first page and a count of twice that; then pages of one record each, the same one
      // again: the count of records is not reached before page 11, which the first page justifies
      // no walk to ask for (and the records behind it are never there).
      async appointmentPage(_range: typeof RANGE, pageNumber: number, pageSize: number) {
        asked.push(pageNumber);
        const items = Array.from({ length: pageNumber === 1 ? pageSize : 1 }, () => {
          const id = pageNumber === 1 ? nextId++ : 0;
          return { id, nested: {}, raw: { calendarId: id } } as unknown as AppointmentRecord;
        });
        const page: ReportPage<AppointmentRecord> = { items, skipped: [], received: items.length };
        page.count = 2 * pageSize;
        return page;
      },
      async appointmentCount() {
        return 20;
      },
    };
    const read = await readAppointmentChunk(client, RANGE, { pageSize: 10, maxReads: 3, pagesInFlight: 1 });
    expect(read.complete).toBe(false);
    // A count of 20 at 10 a page justifies 2 pages and 2 more.
    expect(Math.max(...asked)).toBe(4);
  });
});
