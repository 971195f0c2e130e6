/**
 * The walk of one chunk of appointments (a range of dates): read completely (or marked
 * incomplete, appointment-chunk.ts), upserted with the time TimeTap was read (an older read never
 * overwrites a newer one, db/appointments.ts), the objects nested in each appointment filling
 * gaps in their own tables, and a client that an appointment names but the mirror lacks fetched
 * by id (appointment-store.ts).
 *
 * Tombstones only on a complete chunk, and even then absence is not proof: an appointment the
 * chunk did not see may have been rescheduled to another date, even out of the window. Each is
 * confirmed at `GET /appointments/{calendarId}`: 404 tombstones it; found, it is updated where it
 * now is (a cancelled appointment is not deleted: it has status CANCELLED). The mass-delete guard
 * judges the chunk: when more went missing than it lets go, nothing is asked and nothing marked.
 */

import type { DateRange } from '../dates.js';
import {
  type ClientDataPolicy,
  evaluateDeleteGuard,
  type PreparedRow,
  tombstoneAppointments,
  unseenAppointments,
} from '../db/index.js';
import { describeError, isRetryable, NotFoundError } from '../errors.js';
import type { AppointmentRecord } from '../records.js';
import { type ChunkRead, readAppointmentChunk } from '../timetap/index.js';
import { ChunkStore, storeAppointments } from './appointment-store.js';
import { mapSettled } from './concurrency.js';
import { isFatal, type WalkDeps, writeOf } from './location-walk.js';
import { addCounts, emptyStats, type RunStats } from './stats.js';

export interface AppointmentWalkDeps extends WalkDeps {
  clientData: ClientDataPolicy;
  /** Records asked for per report page; TimeTap answers fewer past its maximum. */
  pageSize: number;
  /** The statuses every report asks for (APPOINTMENTS_STATUSES). */
  statuses: readonly string[];
  /** How often an inconsistent chunk is read before it counts as incomplete. */
  maxReads?: number;
}

/** What a chunk's walk read: recorded per chunk in the run's stats (a type: a JSON record). */
export type ChunkRecord = {
  startDate: string;
  endDate: string;
  pages: number;
  records: number;
  reads: number;
  /** The parts (halves, days, statuses) it was read in at last: 1 when read whole. */
  parts: number;
  complete: boolean;
};

export interface ChunkOutcome {
  range: DateRange;
  /** complete: consistent and tombstoned (unless the guard refused); incomplete: upserted only. */
  status: 'complete' | 'incomplete' | 'failed';
  reasons: string[];
  stats: RunStats;
  read?: ChunkRecord;
  retryable: boolean;
}

const DEFAULT_MAX_READS = 3;

export async function walkAppointmentChunk(
  deps: AppointmentWalkDeps,
  range: DateRange,
): Promise<ChunkOutcome> {
  const stats = emptyStats();
  const label = `appointments ${range.startDate}..${range.endDate}`;
  const readAt = new Date();
  const store = new ChunkStore(deps, readAt, stats);
  let read: ChunkRead<PreparedRow>;
  try {
    read = await readAppointmentChunk(
      deps.api,
      { ...range, statuses: deps.statuses },
      {
        pageSize: deps.pageSize,
        maxReads: deps.maxReads ?? DEFAULT_MAX_READS,
        keep: store.keep,
      },
    );
  } catch (error) {
    await store.settle();
    if (isFatal(error)) throw error;
    return {
      range,
      status: 'failed',
      reasons: [`${label}: ${describeError(error)}`],
      stats,
      retryable: isRetryable(error),
    };
  }
  const record: ChunkRecord = {
    ...range,
    pages: read.pages,
    records: read.appointments.length,
    reads: read.reads,
    parts: read.parts,
    complete: read.complete,
  };
  await store.store(read.appointments);
  addCounts(stats, 'appointments', { skipped: read.skipped.length });
  if (!read.complete) {
    const reason = `${label}: ${read.why ?? 'incomplete'}; nothing in the range was tombstoned`;
    return { range, status: 'incomplete', reasons: [reason], stats, read: record, retryable: false };
  }
  const reasons = await tombstoneUnseen(deps, range, label, read.appointments, stats);
  return { range, status: 'complete', reasons, stats, read: record, retryable: false };
}

async function tombstoneUnseen(
  deps: AppointmentWalkDeps,
  range: DateRange,
  label: string,
  seen: readonly PreparedRow[],
  stats: RunStats,
): Promise<string[]> {
  const seenIds = seen.map((a) => a.id);
  // Only the statuses asked for: an appointment of another status is in no report.
  const unseen = await unseenAppointments(deps.db, deps.account.name, range, seenIds, {
    statuses: deps.statuses,
  });
  if (unseen.unseen.length === 0) return [];
  const judge = (doomed: number) =>
    evaluateDeleteGuard({ label, active: unseen.active, doomed, seen: seenIds.length }, deps.guard);
  const before = judge(unseen.unseen.length);
  if (before.refused) {
    addCounts(stats, 'appointments', { held: unseen.unseen.length });
    return [before.reason];
  }

  const readAt = new Date();
  const results = await mapSettled(unseen.unseen, deps.staffConcurrency, (id) => deps.api.getAppointment(id));
  const gone: number[] = [];
  const moved: AppointmentRecord[] = [];
  const undecided: string[] = [];
  results.forEach((result, index) => {
    const id = unseen.unseen[index] as number;
    if (result.status === 'fulfilled') moved.push(result.value);
    else if (result.reason instanceof NotFoundError) gone.push(id);
    else if (isFatal(result.reason)) throw result.reason;
    else undecided.push(`${id}: ${describeError(result.reason)}`);
  });
  // Found at its own URL: rescheduled (or hidden from this report); stored where it now is.
  if (moved.length > 0) await storeAppointments(deps, moved, readAt, stats);
  const reasons: string[] = [];
  const after = judge(gone.length);
  if (after.refused) {
    reasons.push(after.reason);
    addCounts(stats, 'appointments', { held: gone.length });
  } else
    addCounts(stats, 'appointments', {
      deleted: await tombstoneAppointments(deps.db, gone, { readAt, ...writeOf(deps) }),
    });
  if (undecided.length > 0) {
    reasons.push(
      `${label}: ${undecided.length} unseen appointment(s) could not be confirmed (first: ${undecided[0]}); kept`,
    );
  }
  return reasons;
}
