/**
 * Reading one chunk of appointments (a range of dates) completely. Two things make a single walk
 * of the pages unreliable:
 * - pages shift while they are read: an appointment booked between page 1 and page 2 pushes a
 *   record onto the next page (read twice), one cancelled or deleted pulls one back (never read);
 * - the report's order may be stable only by date and start time (many appointments share both
 *   on a busy day), so two requests may order a tie differently: a walk then misses the records a
 *   page boundary cuts out of a tie and sees others twice, and two walks differ.
 * So a part of the chunk counts as complete only when the *union* of the ids its reads saw
 * equals the count TimeTap reports, and that count did not change across those reads and a last
 * look after them (a matching total alone can hide one skipped record plus one duplicate; a
 * count that moved starts the union over). One page that held every record beside its own count
 * needs no last look: it is one answer. A part that comes up short is read again with pages an
 * eighth smaller each time, so that their boundaries cut other ties, `maxReads` times in all;
 * still short while its count held still, it is cut into parts that each fit in one page (days,
 * then a day by status), which no order can hide anything in. A count that keeps moving is no
 * reason to cut. A part that cannot be cut is read while its reads still find new ids, a few
 * times more at most. What was read is returned whatever happens, marked incomplete when a part
 * stayed short, so that it can be upserted while nothing in the range is tombstoned.
 *
 * A page may hold fewer records than asked for (TimeTap enforces a maximum page size), so a short
 * page does not end a walk: the count does, or an empty page. A page that times out or meets a
 * gateway's 504 is taken for too large: the part goes on with pages half the size. No report ever
 * covers more than MAX_REPORT_DAYS.
 *
 * The first page's count and length say how many pages a walk has: those are asked for a few at
 * a time (`pagesInFlight`) rather than one after the other, and taken in page order. Pages past
 * the expected ones (records pushed on by new bookings) are read one by one. The client's budget
 * still bounds every request.
 */

import type { AppointmentRecord } from '../records.js';
import {
  isLargePageFailure,
  MAX_REPORT_DAYS,
  type ReportPage,
  type ReportQuery,
  type SkippedRecord,
  type TimeTapApi,
} from './api.js';
import { lastJustifiedPage } from './report-page-bound.js';
import { canCut, cutByDays, daysOf, partsThatFit } from './report-parts.js';

/** `T`: what the reader keeps of each appointment (ChunkOptions.keep); by default the record. */
export interface ChunkRead<T extends Kept = AppointmentRecord> {
  /** Complete: the union of its parts; incomplete: every record any read saw (its latest copy). */
  appointments: T[];
  skipped: SkippedRecord[];
  /** Consistent: every appointment of the range was seen, as counted. */
  complete: boolean;
  /** Reads of the whole range and of its parts, requests in all, and the parts read last. */
  reads: number;
  pages: number;
  parts: number;
  /** The count TimeTap reported (summed over the parts), when it reports one. */
  count?: number;
  /** Why the chunk is not complete. */
  why?: string;
}

export interface ChunkOptions<T extends Kept = AppointmentRecord> {
  pageSize: number;
  /** Reads of a part whose count keeps moving. */
  maxReads: number;
  pagesInFlight?: number;
  /**
   * What is kept of each appointment, made as its page arrives: a chunk is held until it is read
   * whole, and what it holds is what garbage collection walks meanwhile (sync/appointment-walk.ts
   * keeps the row its write needs).
   */
  keep?: (appointment: AppointmentRecord) => T;
}

/** What a chunk keeps of an appointment has at least its id. */
export type Kept = { id: number };

export type ChunkClient = Pick<TimeTapApi, 'appointmentPage' | 'appointmentCount'>;

/** Far beyond any range's pages: only an API that never ends a walk gets there. */
const MAX_PAGES_PER_READ = 100_000;

/** A part that cannot be cut is read while its reads find new ids, up to this many times maxReads. */
const LEAF_READ_FACTOR = 4;

/**
 * Pages of one chunk asked for at once: while one page is parsed, the next are on their way. Each
 * request also waits its turn in the budget, and a worker runs only WORKER_CONCURRENCY's 4 chunks
 * at once, some of them writing rather than reading: with 2 each, bench 6's year backfill used
 * 75-79 of its 100 requests a second; with 4, 85-91 (the budget's limit on requests in flight
 * still bounds them all).
 */
const PAGES_IN_FLIGHT = 4;

type Page = ReportPage<AppointmentRecord>;

interface PartRead<T> {
  complete: boolean;
  /** The union of a complete part, by id. */
  union: Map<number, T>;
  count?: number;
  parts: number;
  why?: string;
}

export function readAppointmentChunk(
  client: ChunkClient,
  query: ReportQuery,
  options: ChunkOptions,
): Promise<ChunkRead>;
export function readAppointmentChunk<T extends Kept>(
  client: ChunkClient,
  query: ReportQuery,
  options: ChunkOptions<T> & { keep: (appointment: AppointmentRecord) => T },
): Promise<ChunkRead<T>>;
export async function readAppointmentChunk<T extends Kept>(
  client: ChunkClient,
  query: ReportQuery,
  options: ChunkOptions<T>,
): Promise<ChunkRead<T>> {
  const keep = options.keep ?? ((appointment: AppointmentRecord) => appointment as unknown as T);
  const reader = new ChunkReader<T>(client, options, keep);
  const part = await reader.read(query, options.pageSize);
  const { skipped, reads, pages } = reader;
  const appointments = [...(part.complete ? part.union : reader.latest).values()];
  const read: ChunkRead<T> = {
    appointments,
    skipped,
    complete: part.complete,
    reads,
    pages,
    parts: part.parts,
  };
  if (part.count !== undefined) read.count = part.count;
  if (part.why !== undefined) read.why = part.why;
  return read;
}

/** One walk of a query's pages: what it saw, and the count that opened it. */
interface Walk<T> {
  ids: Map<number, T>;
  skipped: number;
  count: number | undefined;
  /** Records the first page held: how many TimeTap serves a page. */
  perPage: number;
  /**
   * One page held every record with room to spare, and the count came with it: one answer,
   * consistent by itself, so no second look at the count.
   */
  snapshot: boolean;
}

class ChunkReader<T extends Kept> {
  /** Every record any read saw, its latest copy: what an incomplete chunk upserts. */
  readonly latest = new Map<number, T>();
  readonly skipped: SkippedRecord[] = [];
  reads = 0;
  pages = 0;
  private readonly pagesInFlight: number;

  constructor(
    private readonly client: ChunkClient,
    private readonly options: ChunkOptions<T>,
    private readonly keep: (appointment: AppointmentRecord) => T,
  ) {
    this.pagesInFlight = Math.max(1, options.pagesInFlight ?? PAGES_IN_FLIGHT);
  }

  async read(query: ReportQuery, pageSize: number): Promise<PartRead<T>> {
    if (daysOf(query) > MAX_REPORT_DAYS) return this.readParts(cutByDays(query, MAX_REPORT_DAYS), pageSize);
    const cuttable = canCut(query);
    const limit = cuttable ? this.options.maxReads : this.options.maxReads * LEAF_READ_FACTOR;
    let size = pageSize;
    /** Records TimeTap served a page (its cap may be below what is asked). */
    let served = pageSize;
    let union = new Map<number, T>();
    let count: number | undefined;
    /** Reads in a row that found the count unchanged (the union's reads), and that found nothing new. */
    let steady = 0;
    let idle = 0;
    let why = 'not read';
    for (let read = 1; read <= limit; read++) {
      let walk: Walk<T>;
      try {
        walk = await this.walk(query, read === 1 ? size : shifted(served, read));
      } catch (error) {
        if (size <= 1 || !isLargePageFailure(error)) throw error;
        size = Math.max(1, Math.floor(size / 2));
        served = Math.min(served, size);
        read--;
        continue;
      }
      if (read === 1) served = Math.max(1, Math.min(size, walk.perPage));
      if (walk.skipped > 0) {
        // Reading again cannot give an unusable record an id.
        return { complete: false, union, parts: 1, why: `${walk.skipped} record(s) without a usable id` };
      }
      if (walk.count === undefined) {
        // No count to check against: a walk of every page is all there is.
        return { complete: true, union: walk.ids, parts: 1 };
      }
      if (walk.count !== count) {
        union = new Map();
        steady = 0;
      }
      count = walk.count;
      steady++;
      const before = union.size;
      for (const [id, appointment] of walk.ids) union.set(id, appointment);
      // More ids than the count: some left the range between reads; only this read still holds.
      if (union.size > count) union = walk.ids.size <= count ? new Map(walk.ids) : new Map();
      if (union.size === count) {
        // One answer that held every record beside its count is a snapshot: nothing to look again at.
        if (walk.snapshot) return { complete: true, union, count, parts: 1 };
        const after = await this.countNow(query);
        if (after === count) return { complete: true, union, count, parts: 1 };
        why = `the count moved from ${count} to ${after ?? 'none'} while it was read`;
        count = after;
        union = new Map();
        steady = 0;
        continue;
      }
      why = `${union.size} distinct appointments after ${read} read(s) for a count of ${count}`;
      // A part that cannot be cut is read past maxReads only while its count holds still and its
      // reads find new ids (one read in a row may find none by chance: two may not).
      idle = union.size === before ? idle + 1 : 0;
      if (read >= this.options.maxReads && (idle >= 2 || steady < 2)) break;
    }
    // Still short while the count held still: the order hides records at page boundaries, not a
    // change of the account. Parts that fit in one page each cannot be hidden by any order. A count
    // that kept moving is no reason to cut: the next sync reads the range again.
    if (cuttable && count !== undefined && steady >= Math.min(2, this.options.maxReads)) {
      return this.readParts(partsThatFit(query, count, served), size);
    }
    return { complete: false, union, parts: 1, why: `${describe(query)}: ${why}` };
  }

  private async countNow(query: ReportQuery): Promise<number | undefined> {
    const count = await this.client.appointmentCount(query);
    this.pages++;
    return count;
  }

  private async readParts(parts: ReportQuery[], pageSize: number): Promise<PartRead<T>> {
    const union = new Map<number, T>();
    let count: number | undefined = 0;
    let read = 0;
    const short: string[] = [];
    for (const part of parts) {
      const result = await this.read(part, pageSize);
      read += result.parts;
      for (const [id, appointment] of result.union) union.set(id, appointment);
      count = count === undefined || result.count === undefined ? undefined : count + result.count;
      if (!result.complete) short.push(result.why ?? describe(part));
    }
    if (short.length === 0)
      return count === undefined
        ? { complete: true, union, parts: read }
        : { complete: true, union, count, parts: read };
    const more = short.length > 1 ? ` (and ${short.length - 1} more part(s))` : '';
    return { complete: false, union, parts: read, why: `${short[0]}${more}` };
  }

  /** One walk of the pages; a page that fails fails it, with nothing left in flight. */
  private async walk(query: ReportQuery, pageSize: number): Promise<Walk<T>> {
    this.reads++;
    const ids = new Map<number, T>();
    let skipped = 0;
    let count: number | undefined;
    let received = 0;
    let perPage = 0;
    let pages = 0;
    let countOnPage = false;
    const ahead = new PagesAhead(this.client, query, pageSize);
    try {
      // Until the first page: the most any range holds; then what its count can justify.
      let lastPage = MAX_PAGES_PER_READ;
      for (let pageNumber = 1; pageNumber <= lastPage; pageNumber++) {
        const page = await ahead.take(pageNumber);
        this.pages++;
        pages++;
        if (pageNumber === 1) {
          perPage = page.received;
          count = page.count;
          countOnPage = count !== undefined;
          if (count === undefined) count = await this.countNow(query);
          ahead.expect(expectedPages(count, page.received), this.pagesInFlight);
          lastPage = lastJustifiedPage(
            count === undefined ? { received: page.received } : { received: page.received, count },
            MAX_PAGES_PER_READ,
          );
        }
        for (const appointment of page.items) {
          const kept = this.keep(appointment);
          ids.set(appointment.id, kept);
          this.latest.set(appointment.id, kept);
        }
        skipped += page.skipped.length;
        this.skipped.push(...page.skipped);
        received += page.received;
        // Without a count, only an empty page (or a short one) ends it.
        if (page.received === 0 || (count !== undefined && received >= count)) break;
        if (count === undefined && page.received < pageSize) break;
      }
    } finally {
      // Pages asked for ahead of an early end (records withdrawn meanwhile) or of a failure are
      // waited for, so that no request outlives the read; what they hold is not taken.
      this.pages += await ahead.settle();
    }
    // A page with room to spare shows the end; a full one might hide a record booked meanwhile.
    const snapshot =
      pages === 1 && countOnPage && received === count && ids.size === count && received < pageSize;
    return { ids, skipped, count, perPage, snapshot };
  }
}

function describe(query: ReportQuery): string {
  const statuses = query.statuses?.length === 1 ? ` ${query.statuses[0]}` : '';
  return `${query.startDate}..${query.endDate}${statuses}`;
}

/**
 * The page size of a read after the first: an eighth smaller each time (cycling back after four),
 * so that its page boundaries fall elsewhere and cut other ties than the reads before.
 */
function shifted(served: number, read: number): number {
  return Math.max(1, Math.floor((served * (8 - ((read - 1) % 4))) / 8));
}

/** The pages the first one says the range has, at the size TimeTap served; undefined without a count. */
function expectedPages(count: number | undefined, firstReceived: number): number | undefined {
  if (count === undefined || firstReceived === 0) return undefined;
  return Math.min(MAX_PAGES_PER_READ, Math.ceil(count / firstReceived));
}

/** Pages asked for ahead of the walk, up to the expected last one, taken in page order. */
class PagesAhead {
  private readonly pending = new Map<number, Promise<Page>>();
  private last = 1;
  private window = 1;
  private next = 2;

  constructor(
    private readonly client: ChunkClient,
    private readonly query: ReportQuery,
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
    const page = this.client.appointmentPage(this.query, pageNumber, this.pageSize);
    // Until it is taken (or settled), a failure must not count as unhandled.
    page.catch(() => undefined);
    return page;
  }
}
