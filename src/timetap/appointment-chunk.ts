/**
 * Reading one chunk of appointments (a range of dates) completely. Pages shift while they are
 * read: an appointment booked between page 1 and page 2 pushes a record onto the next page (read
 * twice), one cancelled or deleted pulls one back (never read). So a read counts as complete only
 * when it is consistent: the *distinct* ids seen equal the count TimeTap reports, and that count
 * did not change between the first page and a second look after the last one (a matching total
 * alone can hide one skipped record plus one duplicate). Otherwise the chunk is read again, up to
 * `maxReads` times; what was read is still returned, marked incomplete, so that it can be upserted
 * while nothing in the range is tombstoned.
 *
 * A page may hold fewer records than asked for (TimeTap enforces a maximum page size), so a short
 * page does not end the walk: the count does, or an empty page.
 *
 * The first page's count and length say how many pages the range has: those are asked for a few at
 * a time (`pagesInFlight`) rather than one after the other, and taken in page order, so that the
 * walk sees exactly what a sequential one would. Pages past the expected ones (records pushed on by
 * new bookings) are read one by one, as before. The client's budget still bounds every request.
 */

import type { DateRange } from '../dates.js';
import type { TimeTapAppointment } from './appointment-schemas.js';
import type { ReportPage, SkippedRecord, TimeTapClient } from './client.js';
import { lastJustifiedPage } from './report-page-bound.js';

export interface ChunkRead {
  appointments: TimeTapAppointment[];
  skipped: SkippedRecord[];
  /** Consistent: every appointment of the range was seen exactly as counted. */
  complete: boolean;
  /** How often the chunk was read, pages in all, and the count TimeTap reported last. */
  reads: number;
  pages: number;
  count?: number;
  /** Why the chunk is not complete. */
  why?: string;
}

/** Far beyond any range's pages: only an API that never ends a walk gets there. */
const MAX_PAGES_PER_READ = 100_000;

/**
 * Pages of one chunk asked for at once: while one page is parsed, the next is on its way. With
 * WORKER_CONCURRENCY's 4 chunks at once, 2 each can fill 8 requests in flight (bench 6's
 * TIMETAP_MAX_CONCURRENCY). Bench 6's backfill is bound by the worker's CPU, not by round trips,
 * so more would not help there.
 */
export const PAGES_IN_FLIGHT = 2;

type Page = ReportPage<TimeTapAppointment>;

export async function readAppointmentChunk(
  client: Pick<TimeTapClient, 'appointmentPage'>,
  range: DateRange,
  options: { pageSize: number; maxReads: number; pagesInFlight?: number },
): Promise<ChunkRead> {
  const pagesInFlight = Math.max(1, options.pagesInFlight ?? PAGES_IN_FLIGHT);
  const latest = new Map<number, TimeTapAppointment>();
  let pages = 0;
  let why = 'not read';
  for (let read = 1; read <= options.maxReads; read++) {
    const seen = new Map<number, TimeTapAppointment>();
    const skipped: SkippedRecord[] = [];
    let countBefore: number | undefined;
    let received = 0;
    const ahead = new PagesAhead(client, range, options.pageSize);
    try {
      let lastPage = MAX_PAGES_PER_READ;
      for (let pageNumber = 1; pageNumber <= lastPage; pageNumber++) {
        const page = await ahead.take(pageNumber);
        pages++;
        if (pageNumber === 1) {
          countBefore = page.count;
          lastPage = lastJustifiedPage(page, MAX_PAGES_PER_READ);
          ahead.expect(expectedPages(page), pagesInFlight);
        }
        for (const appointment of page.items) seen.set(appointment.id, appointment);
        skipped.push(...page.skipped);
        received += page.received;
        const countReached = page.count !== undefined && received >= page.count;
        // Without a count, only an empty page (or a short one, when none was ever short) ends it.
        if (page.received === 0 || countReached) break;
        if (page.count === undefined && page.received < options.pageSize) break;
      }
    } finally {
      // Pages asked for ahead of an early end (records withdrawn meanwhile) or of a failure are
      // waited for, so that no request outlives the read; what they hold is not taken.
      pages += await ahead.settle();
    }
    for (const [id, appointment] of seen) latest.set(id, appointment);
    if (countBefore === undefined) {
      // A bare array: no count to check against; a complete walk of the pages is all there is.
      return {
        appointments: [...seen.values()],
        skipped,
        complete: skipped.length === 0,
        reads: read,
        pages,
      };
    }
    const after = await client.appointmentPage(range, 1, 1);
    pages++;
    const countAfter = after.count;
    if (skipped.length === 0 && seen.size === countBefore && countAfter === countBefore) {
      return {
        appointments: [...seen.values()],
        skipped,
        complete: true,
        reads: read,
        pages,
        count: countBefore,
      };
    }
    why =
      skipped.length > 0
        ? `${skipped.length} record(s) without a usable id`
        : `${seen.size} distinct appointments for a count of ${countBefore} (then ${countAfter ?? 'none'})`;
    if (skipped.length > 0) {
      // Reading again cannot give an unusable record an id.
      return {
        appointments: [...latest.values()],
        skipped,
        complete: false,
        reads: read,
        pages,
        count: countBefore,
        why,
      };
    }
  }
  return {
    appointments: [...latest.values()],
    skipped: [],
    complete: false,
    reads: options.maxReads,
    pages,
    why: `still inconsistent after ${options.maxReads} reads: ${why}`,
  };
}

/** The pages the first one says the range has, at the size TimeTap served; undefined without a count. */
function expectedPages(first: Page): number | undefined {
  if (first.count === undefined || first.received === 0) return undefined;
  return Math.min(MAX_PAGES_PER_READ, Math.ceil(first.count / first.received));
}

/** Pages asked for ahead of the walk, up to the expected last one, taken in page order. */
class PagesAhead {
  private readonly pending = new Map<number, Promise<Page>>();
  private last = 1;
  private window = 1;
  private next = 2;

  constructor(
    private readonly client: Pick<TimeTapClient, 'appointmentPage'>,
    private readonly range: DateRange,
    private readonly pageSize: number,
  ) {}

  /** What the first page said: pages up to `lastPage` are asked for, `window` at a time. */
  expect(lastPage: number | undefined, window: number): void {
    this.last = lastPage ?? 1;
    this.window = window;
    this.fill(0);
  }

  /** Page `pageNumber`: asked for ahead, or now; then the next ones are asked for. */
  take(pageNumber: number): Promise<Page> {
    const page = this.pending.get(pageNumber) ?? this.ask(pageNumber);
    this.pending.delete(pageNumber);
    this.next = Math.max(this.next, pageNumber + 1);
    this.fill(1);
    return page;
  }

  /** `taken`: pages in flight that are not pending any more (the one being waited for). */
  private fill(taken: number): void {
    while (this.next <= this.last && this.pending.size + taken < this.window) {
      this.pending.set(this.next, this.ask(this.next));
      this.next++;
    }
  }

  /** Waits for the pages asked for and not taken; returns how many there were. */
  async settle(): Promise<number> {
    const left = [...this.pending.values()];
    this.pending.clear();
    await Promise.allSettled(left);
    return left.length;
  }

  private ask(pageNumber: number): Promise<Page> {
    const page = this.client.appointmentPage(this.range, pageNumber, this.pageSize);
    // Until it is taken (or settled), a failure must not count as unhandled.
    page.catch(() => undefined);
    return page;
  }
}
