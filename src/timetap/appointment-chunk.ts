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
 */
import type { TimeTapAppointment } from './appointment-schemas.js';
import type { DateRange, SkippedRecord, TimeTapClient } from './client.js';

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

export async function readAppointmentChunk(
  client: Pick<TimeTapClient, 'appointmentPage'>,
  range: DateRange,
  options: { pageSize: number; maxReads: number },
): Promise<ChunkRead> {
  const latest = new Map<number, TimeTapAppointment>();
  let pages = 0;
  let why = 'not read';
  for (let read = 1; read <= options.maxReads; read++) {
    const seen = new Map<number, TimeTapAppointment>();
    const skipped: SkippedRecord[] = [];
    let countBefore: number | undefined;
    let received = 0;
    for (let pageNumber = 1; pageNumber <= MAX_PAGES_PER_READ; pageNumber++) {
      const page = await client.appointmentPage(range, pageNumber, options.pageSize);
      pages++;
      if (pageNumber === 1) countBefore = page.count;
      for (const appointment of page.items) seen.set(appointment.id, appointment);
      skipped.push(...page.skipped);
      received += page.received;
      const countReached = page.count !== undefined && received >= page.count;
      // Without a count, only an empty page (or a short one, when none was ever short) ends it.
      if (page.received === 0 || countReached) break;
      if (page.count === undefined && page.received < options.pageSize) break;
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
